//! A chat server: every line a client sends is broadcast to every other client.
//!
//! Run: `cargo run --release -p strands --example chat_server -- 127.0.0.1:7001`, then
//! connect several `nc 127.0.0.1 7001`. Lines longer than 4 KiB are refused (the limit of
//! the stream reader) and that client is disconnected; slow clients are disconnected when
//! their buffer passes the high-water mark instead of growing the server's memory.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use strands::stream::{start_server, ReadError, StreamReader, StreamWriter};

/// The connected clients, by id.
type Clients = Rc<RefCell<BTreeMap<u64, Rc<StreamWriter>>>>;

/// Sends `line` to every client but `from`; drops the ones that cannot keep up.
fn broadcast(clients: &Clients, from: u64, line: &[u8]) {
    let mut gone = Vec::new();
    for (&id, w) in clients.borrow().iter() {
        let (high, _) = w.water_marks();
        if id != from && (w.buffered() > high || w.write(line).is_err()) {
            gone.push(id);
        }
    }
    for id in gone {
        if let Some(w) = clients.borrow_mut().remove(&id) {
            w.close();
        }
    }
}

async fn client<R: futures_io::AsyncRead + Unpin>(
    reader: StreamReader<R>,
    writer: StreamWriter,
    id: u64,
    clients: Clients,
) {
    let mut reader = reader;
    let writer = Rc::new(writer);
    let _ = writer.write(format!("welcome, you are #{id}\n").as_bytes());
    clients.borrow_mut().insert(id, writer.clone());
    broadcast(&clients, id, format!("* #{id} joined\n").as_bytes());
    loop {
        match reader.read_line().await {
            Ok(line) if line.is_empty() => break, // the client left
            Ok(line) => {
                let mut msg = format!("#{id}: ").into_bytes();
                msg.extend_from_slice(&line);
                broadcast(&clients, id, &msg);
            }
            Err(ReadError::LimitOverrun { .. }) => {
                let _ = writer.write(b"line too long, bye\n");
                break;
            }
            Err(_) => break,
        }
    }
    clients.borrow_mut().remove(&id);
    writer.close();
    broadcast(&clients, id, format!("* #{id} left\n").as_bytes());
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".into());
    strands::run(async move {
        let clients: Clients = Rc::default();
        let next_id = Rc::new(std::cell::Cell::new(0u64));
        let server = start_server(
            move |reader, writer| {
                let id = next_id.get() + 1;
                next_id.set(id);
                let mut reader = reader;
                reader.set_limit(4096);
                client(reader, writer, id, clients.clone())
            },
            addr,
        )
        .await?;
        println!("chat server on {}", server.addresses()[0]);
        server.serve_forever().await;
        Ok::<(), std::io::Error>(())
    })??;
    Ok(())
}
