fn main() {
    vigil::capture_message!("order {} failed", order = 1);
    vigil::add_breadcrumb!("step {0} of {total}", total = 3);
    vigil::capture_message!("{order} has an unmatched } brace", order = 2);
    // No placeholder at all: a plain message, braces and all.
    vigil::capture_message!("a } alone is fine");
}
