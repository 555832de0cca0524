// A placeholder with neither a `key = value` pair nor a variable of its name in scope.
fn main() {
    vigil::capture_message!("order {order_id} failed", user_id = 1);
}
