module github.com/inferencex/inferencex-go/tools/loadgen

go 1.26

require (
	github.com/inferencex/inferencex-go/pkg v0.0.0
	github.com/inferencex/inferencex-go/schemas v0.0.0
)

replace (
	github.com/inferencex/inferencex-go/pkg => ../../pkg
	github.com/inferencex/inferencex-go/schemas => ../../schemas
)
