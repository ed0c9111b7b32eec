module secretapp

go 1.22
