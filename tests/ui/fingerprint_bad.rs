#[vigil::monitored(fingerprint = "payments")]
fn not_a_list() {}

#[vigil::monitored(fingerprint = [])]
fn empty() {}

#[vigil::transaction(fingerprint = ["{{ default }}", 7, ""])]
fn bad_entries() {}

fn main() {
    vigil::capture_message!("quota", fingerprint = [QUOTA]);
}
