# The seed's bug in Ruby: read the first few hundred bytes of each
# request, answer ANSWER_BYTES, close with the rest unread.
#   ruby seed_server.rb PORT ANSWER_BYTES CLIENTS
require 'socket'

port, answer, clients = ARGV.map(&:to_i)
body = 'a' * answer
server = TCPServer.new('127.0.0.1', port)
clients.times do
  sock = server.accept
  sock.readpartial(300)
  sock.write(body)
  sock.close
end
server.close
