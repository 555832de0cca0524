//! `#[track_caller]` keeps its meaning on a monitored function whose result vigil does not
//! read: the body stays the function's own.
use std::panic::Location;

#[vigil::monitored]
#[track_caller]
fn called_from() -> &'static Location<'static> {
    Location::caller()
}

fn main() {
    let here = line!() + 1;
    let location = called_from();
    assert_eq!(location.line(), here);
    assert_eq!(location.file(), file!());
}
