// The seed's bug in Java, two ways.
//   java SeedServer.java MODE PORT ANSWER_BYTES CLIENTS
// plain:  read the first few hundred bytes, write ANSWER_BYTES, close()
//         with the rest of the request unread.
// thread: read the first few hundred bytes; a second thread streams an
//         endless answer; once ANSWER_BYTES are out, the main thread
//         closes the socket while the writer is writing.  The JDK then
//         dup2()s a socketpair end over the socket's number ("preClose",
//         Java_sun_nio_ch_FileDispatcherImpl_preClose0) so that the writer
//         is woken: the TCP socket ends in that dup2, not in a close().
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

public class SeedServer {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int port = Integer.parseInt(args[1]);
        long answer = Long.parseLong(args[2]);
        int clients = Integer.parseInt(args[3]);
        try (ServerSocket ss = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"))) {
            for (int i = 0; i < clients; i++) {
                Socket s = ss.accept();
                InputStream in = s.getInputStream();
                byte[] first = new byte[300];
                if (in.read(first) <= 0) throw new RuntimeException("no request");
                if (mode.equals("plain")) {
                    answerAndClose(s, answer);
                } else {
                    closeWhileWriting(s, answer);
                }
            }
        }
    }

    static void answerAndClose(Socket s, long answer) throws Exception {
        OutputStream out = s.getOutputStream();
        byte[] chunk = new byte[65536];
        java.util.Arrays.fill(chunk, (byte) 'a');
        for (long left = answer; left > 0; left -= chunk.length)
            out.write(chunk, 0, (int) Math.min(left, chunk.length));
        s.close();
    }

    // The JDK pre-closes only when a thread is inside a blocking write at
    // the close; between two writes it closes outright (close0).  So the
    // close waits until the writer has been inside one write (its count
    // and flag unchanged) for 2 ms: with 16 MB writes to a reading peer,
    // that is a write blocked in the kernel.  (Closing at a random moment
    // took the close0 path in 1 of ~100 CI runs.)
    static void closeWhileWriting(Socket s, long answer) throws Exception {
        AtomicLong written = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean inWrite = new java.util.concurrent.atomic.AtomicBoolean();
        OutputStream out = s.getOutputStream();
        Thread writer = new Thread(() -> {
            byte[] chunk = new byte[16 << 20];
            java.util.Arrays.fill(chunk, (byte) 'a');
            try {
                for (;;) {
                    writes.incrementAndGet();
                    inWrite.set(true);
                    int len = written.get() < answer ? 1 << 20 : chunk.length;
                    out.write(chunk, 0, len);
                    inWrite.set(false);
                    written.addAndGet(len);
                }
            } catch (Exception e) {
                // the socket was closed under it: expected
            }
        });
        writer.start();
        while (written.get() < answer) Thread.sleep(1);
        for (;;) {
            long seen = writes.get();
            Thread.sleep(2);
            if (inWrite.get() && writes.get() == seen) break;
        }
        s.close();
        writer.join();
    }
}
