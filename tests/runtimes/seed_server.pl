# The seed's bug in Perl: read the first few hundred bytes of each request,
# answer ANSWER_BYTES, close with the rest unread.
#   perl seed_server.pl PORT ANSWER_BYTES CLIENTS
use strict;
use warnings;
use IO::Socket::INET;

my ($port, $answer, $clients) = @ARGV;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
    Listen => 16, ReuseAddr => 1) or die "listen: $!";
my $body = 'a' x $answer;
for (1 .. $clients) {
    my $c = $srv->accept or die "accept: $!";
    sysread($c, my $first, 300);
    my $off = 0;
    while ($off < length $body) {
        my $n = syswrite($c, $body, length($body) - $off, $off);
        die "write: $!" unless defined $n;
        $off += $n;
    }
    close($c);
}
close($srv);
