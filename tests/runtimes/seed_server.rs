// The seed's bug in Rust: read the first few hundred bytes of each
// request, answer ANSWER_BYTES, drop the stream (close) with the rest
// unread.
//   seed_server PORT ANSWER_BYTES CLIENTS
use std::io::{Read, Write};
use std::net::TcpListener;

// Unmangled and exported (with -rdynamic), so that backtraces name it.
#[no_mangle]
#[inline(never)]
pub fn seed_answer_and_drop(mut s: std::net::TcpStream, body: &[u8]) {
    let mut first = [0u8; 300];
    s.read(&mut first).expect("read");
    s.write_all(body).expect("write");
    drop(s);
}

fn main() {
    let a: Vec<usize> = std::env::args().skip(1).map(|x| x.parse().unwrap()).collect();
    let listener = TcpListener::bind(("127.0.0.1", a[0] as u16)).expect("bind");
    let body = vec![b'a'; a[1]];
    for _ in 0..a[2] {
        let (s, _) = listener.accept().expect("accept");
        seed_answer_and_drop(s, &body);
    }
}
