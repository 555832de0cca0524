trait Store {
    #[vigil::monitored]
    fn get(&self, key: &str) -> Option<String>;
}

fn main() {}
