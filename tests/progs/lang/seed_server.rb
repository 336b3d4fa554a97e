# The seed's bug in Ruby: for each client, read the first line of the
# request, answer with a large body and close, leaving the rest unread.
#   ruby seed_server.rb PORT ANSWER_BYTES CLIENTS
require 'socket'

def answer_and_close(conn, answer_bytes)
  conn.readpartial(128) # "the first line" (and no more)
  conn.write('a' * answer_bytes)
  conn.close # LANG-LINE: the close the record must name
end

def main
  port, answer, clients = ARGV.map(&:to_i)
  server = TCPServer.new('127.0.0.1', port)
  clients.times do
    conn = server.accept
    answer_and_close(conn, answer)
  end
  server.close
end

main
