module github.com/inferencex/inferencex-go/tools/loadgen

go 1.26
