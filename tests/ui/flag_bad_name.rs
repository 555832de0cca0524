fn main() {
    let _ = vigil::flag!("", true);
    let _ = vigil::flag!("new checkout", true);
    let _ = vigil::flag!("checkout/v2", true);
    let _ = vigil::flag!(
        "an_experiment_whose_name_tells_the_whole_story_of_why_it_exists_and_who_asked_for_it_and_when_it_ends",
        true
    );
}
