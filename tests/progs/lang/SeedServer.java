// The seed's bug in Java: for each client, read the first line of the
// request, answer with a large body and close, leaving the rest unread.
//   java SeedServer.java PORT ANSWER_BYTES CLIENTS socket|channel
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

public class SeedServer {
    static void answerAndClose(Socket conn, int answerBytes) throws Exception {
        InputStream in = conn.getInputStream();
        in.read(new byte[128]); // "the first line" (and no more)
        OutputStream out = conn.getOutputStream();
        out.write(new byte[answerBytes]);
        conn.close(); // LANG-LINE-SOCKET: the close the record must name
    }

    static void answerAndCloseChannel(SocketChannel conn, int answerBytes) throws Exception {
        conn.read(ByteBuffer.allocate(128)); // "the first line" (and no more)
        ByteBuffer answer = ByteBuffer.allocate(answerBytes);
        while (answer.hasRemaining())
            conn.write(answer);
        conn.close(); // LANG-LINE-CHANNEL: the close the record must name
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int answer = Integer.parseInt(args[1]);
        int clients = Integer.parseInt(args[2]);
        if (args[3].equals("channel")) {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress("127.0.0.1", port));
            for (int i = 0; i < clients; i++)
                answerAndCloseChannel(server.accept(), answer);
            server.close();
        } else {
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress("127.0.0.1", port));
            for (int i = 0; i < clients; i++)
                answerAndClose(server.accept(), answer);
            server.close();
        }
    }
}
