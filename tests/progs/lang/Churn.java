// Connection churn for `make bench`: N connections, each connected,
// accepted, one byte sent and read, both ends closed; prints the mean ns per
// connection (after 2000 to warm up the JIT).
//   java Churn N
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

public class Churn {
    static void one(ServerSocket lst) throws Exception {
        Socket c = new Socket(InetAddress.getLoopbackAddress(), lst.getLocalPort());
        Socket s = lst.accept();
        c.getOutputStream().write(1);
        s.getInputStream().read();
        s.close();
        c.close();
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        ServerSocket lst = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        for (int i = 0; i < 2000; i++)
            one(lst);
        long t = System.nanoTime();
        for (int i = 0; i < n; i++)
            one(lst);
        System.out.println((System.nanoTime() - t) / n);
    }
}
