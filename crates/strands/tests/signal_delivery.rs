//! Signals: streams, several listeners and loops, callbacks, `ctrl_c`, refused signals and
//! the restored action.
//!
//! Tests run in parallel threads of one process and signal actions are process-wide, so
//! each test owns one signal that no other test here touches, and raises it (with
//! `raise`, which delivers to the calling thread before it returns) only while it listens.

use std::cell::Cell;
use std::io::{self, ErrorKind};
use std::rc::Rc;
use std::time::Duration;

use strands::signal::{
    add_signal_handler, ctrl_c, raise_signal, remove_signal_handler, signal, SIGALRM, SIGHUP,
    SIGINT, SIGUSR1, SIGUSR2, SIGWINCH,
};

/// The current action of `sig`, as the handler address (`SIG_DFL` is 0).
fn action_of(sig: libc::c_int) -> libc::sighandler_t {
    // SAFETY: all-zero is a valid `sigaction`; a null new action only queries.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `old` is valid for writing.
    let rc = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
    assert_eq!(rc, 0);
    old.sa_sigaction
}

#[test]
fn a_stream_receives_each_delivery() {
    strands::run(async {
        let mut s = signal(SIGUSR1)?;
        for _ in 0..10 {
            raise_signal(SIGUSR1)?;
            s.recv().await?;
        }
        // Nothing pending now.
        assert!(strands::timeout(Duration::from_millis(20), s.recv())
            .await
            .is_err());
        Ok::<(), io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn every_listener_on_a_loop_is_notified() {
    strands::run(async {
        let mut listeners = (0..5)
            .map(|_| signal(SIGUSR2))
            .collect::<io::Result<Vec<_>>>()?;
        raise_signal(SIGUSR2)?;
        for l in &mut listeners {
            l.recv().await?;
        }
        Ok::<(), io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn listeners_on_several_loops_are_all_notified() {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let loops: Vec<_> = (0..3)
        .map(|_| {
            let ready = ready_tx.clone();
            std::thread::spawn(move || {
                strands::run(async move {
                    let mut s = signal(SIGWINCH)?;
                    ready.send(()).unwrap();
                    strands::timeout(Duration::from_secs(20), s.recv())
                        .await
                        .expect("the signal reached this loop")
                })
                .unwrap()
                .unwrap();
            })
        })
        .collect();
    for _ in 0..3 {
        ready_rx.recv().unwrap();
    }
    raise_signal(SIGWINCH).unwrap(); // from a thread that runs no loop
    for l in loops {
        l.join().unwrap();
    }
}

#[test]
fn callbacks_run_are_replaced_and_removed() {
    strands::run(async {
        let first = Rc::new(Cell::new(0));
        let second = Rc::new(Cell::new(0));
        let f = first.clone();
        add_signal_handler(SIGHUP, move || f.set(f.get() + 1))?;
        raise_signal(SIGHUP)?;
        while first.get() == 0 {
            strands::sleep(Duration::from_millis(1)).await;
        }
        // Adding again replaces the loop's handler for the signal.
        let s = second.clone();
        add_signal_handler(SIGHUP, move || s.set(s.get() + 1))?;
        raise_signal(SIGHUP)?;
        while second.get() == 0 {
            strands::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(first.get(), 1);
        assert!(remove_signal_handler(SIGHUP));
        assert!(!remove_signal_handler(SIGHUP));
        Ok::<(), io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn ctrl_c_completes_on_sigint() {
    strands::run(async {
        let interrupted = ctrl_c(); // listening from here on
        raise_signal(SIGINT)?;
        strands::timeout(Duration::from_secs(20), interrupted)
            .await
            .expect("ctrl_c saw SIGINT")
    })
    .unwrap()
    .unwrap();
}

#[test]
fn the_previous_action_is_restored_after_the_last_listener() {
    let before = action_of(SIGALRM);
    let a = signal(SIGALRM).unwrap();
    let b = signal(SIGALRM).unwrap();
    let ours = action_of(SIGALRM);
    assert_ne!(ours, before);
    drop(a);
    assert_eq!(action_of(SIGALRM), ours, "b still listens");
    drop(b);
    assert_eq!(action_of(SIGALRM), before);
}

#[test]
fn uncatchable_and_fault_signals_are_refused() {
    for sig in [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        0,
        99,
    ] {
        let err = signal(sig).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "signal {sig}");
    }
}

#[test]
fn callbacks_need_a_running_loop() {
    assert!(add_signal_handler(SIGUSR1, || {}).is_err());
    assert!(!remove_signal_handler(SIGUSR1));
}

#[test]
fn listeners_come_and_go_while_signals_fly() {
    // `SIGURG` is ignored by default, so a delivery between listeners is harmless; this
    // exercises unregistering while handlers run on other threads.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let raiser = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                raise_signal(libc::SIGURG).unwrap();
                std::thread::yield_now();
            }
        })
    };
    let churners: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(|| {
                strands::run(async {
                    for _ in 0..200 {
                        let mut s = signal(libc::SIGURG)?;
                        let _ = strands::timeout(Duration::from_millis(1), s.recv()).await;
                    }
                    // A listener made now still hears the next delivery.
                    let mut s = signal(libc::SIGURG)?;
                    strands::timeout(Duration::from_secs(20), s.recv())
                        .await
                        .expect("a delivery reached the last listener")
                })
                .unwrap()
                .unwrap();
            })
        })
        .collect();
    for c in churners {
        c.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    raiser.join().unwrap();
}
