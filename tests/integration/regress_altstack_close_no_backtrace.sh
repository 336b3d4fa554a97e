# regress_altstack_close with backtraces off (SOCKSHIM_BACKTRACE=0, the
# launcher's --no-backtrace): a signal handler on a small alternate stack
# closes a socket with unread data (close_rst) and a number already closed
# (double_close); the shim may add at most 1 KiB (+128 bytes of slack) to
# the deepest byte the handler reaches bare, and may not crash.
#
# The close of a number the table has as no socket took the short path
# (close_path.c, close_brief) on such a stack whenever there was nothing
# to unwind: its record was made under that path's own frame, deeper than
# the full path's.  Before the fix: exit 139 (SIGSEGV on the guard page)
# at 4096 bytes after the close_rst record, "used 4152" at 8192 (bare:
# 3016; c994562: 4072 at every size).
ALTSTACK_SHIM_VARS=SOCKSHIM_BACKTRACE=0 exec bash "$(dirname "$0")/regress_altstack_close.sh"
