module sockshim/tests/go

go 1.19
