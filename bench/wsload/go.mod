module apus/bench/wsload

go 1.19
