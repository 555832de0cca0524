//! No allocation on the disabled and unsampled paths, counted by the global allocator.
//! Its own test binary: the allocator and vigil's global state are per process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// Bytes allocated and not yet freed, by this thread.
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn live(delta: isize) {
    let _ = LIVE_BYTES.try_with(|c| c.set(c.get() + delta));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        live(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        live(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        live(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[derive(Debug)]
struct Oops;
impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("oops")
    }
}
impl std::error::Error for Oops {}

#[vigil::monitored(tags(component = "billing"))]
fn work(order: u64, name: &str) -> Result<u64, Oops> {
    Ok(order + name.len() as u64)
}

#[vigil::monitored]
async fn work_async(order: u64) -> u64 {
    order * 2
}

#[vigil::monitored]
async fn work_async_result(order: u64) -> Result<u64, Oops> {
    Ok(order + 1)
}

#[vigil::transaction(op = "task", sample_rate = 0.0)]
fn unsampled_transaction(f: impl FnOnce()) {
    f()
}

struct NullTransport;
impl sentry::Transport for NullTransport {
    fn send_envelope(&self, _: vigil::protocol::Envelope) {}
}

fn poll_ready<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => unreachable!("ready at first poll"),
    }
}

#[test]
fn disabled_and_unsampled_paths_do_not_allocate() {
    let name = String::from("book");
    // Warm up thread-locals and lazies outside the counted regions.
    let _ = work(1, &name);
    let _ = poll_ready(work_async(1));
    let _ = poll_ready(work_async_result(1));

    // Disabled: nothing initialised.
    let n = allocations_during(|| {
        for i in 0..1_000 {
            assert!(work(i, &name).is_ok());
            assert_eq!(poll_ready(work_async(i)), i * 2);
            assert_eq!(poll_ready(work_async_result(i)).ok(), Some(i + 1));
            let id = vigil::capture_message!("never built", order = i);
            assert!(id.is_nil());
            vigil::add_breadcrumb!("never built", order = i);
            let _ = vigil::capture_exception!(Oops, order = i);
        }
    });
    assert_eq!(n, 0, "the disabled path allocated {n} times");

    // Enabled, inside a transaction that is not sampled.
    let _guard = vigil::init_with(vigil::Config::new().transport(Arc::new(NullTransport))).unwrap();
    unsampled_transaction(|| {
        let _ = work(1, &name); // warm-up inside the transaction
        let n = allocations_during(|| {
            for i in 0..1_000 {
                assert!(work(i, &name).is_ok());
                assert_eq!(poll_ready(work_async(i)), i * 2);
                assert_eq!(poll_ready(work_async_result(i)).ok(), Some(i + 1));
            }
        });
        assert_eq!(n, 0, "the unsampled path allocated {n} times");
    });

    // Sampled, for contrast: the counter does see allocations when there are some.
    let tx = vigil::start_transaction("sampled", "task");
    let n = allocations_during(|| {
        for i in 0..10 {
            let _ = work(i, &name);
        }
    });
    drop(tx);
    assert!(n > 0, "the sampled path records spans, which allocates");

    // Memory held by a sampled transaction with 1,000 recorded spans (each with its two
    // arguments as data), before it is sent.
    let tx = vigil::start_transaction("memory", "task");
    let before = LIVE_BYTES.with(Cell::get);
    for i in 0..1_000 {
        let _ = work(i, &name);
    }
    let held = LIVE_BYTES.with(Cell::get) - before;
    drop(tx);
    let per_span = held as f64 / 1_000.0;
    println!("a sampled transaction holds {per_span:.0} bytes per recorded span");
    assert!(per_span > 0.0);
    assert!(
        per_span <= 200.0,
        "{per_span:.0} bytes per span (limit 200)"
    );
}
