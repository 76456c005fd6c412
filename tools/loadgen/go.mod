module github.com/inferencex/inferencex-go/tools/loadgen

go 1.26.0

require (
	github.com/ardanlabs/jinja v1.8.0
	github.com/inferencex/inferencex-go/pkg v0.0.0
	github.com/inferencex/inferencex-go/schemas v0.0.0
)

require (
	github.com/santhosh-tekuri/jsonschema/v5 v5.3.1 // indirect
	github.com/sethvargo/go-githubactions v1.3.1 // indirect
)

replace (
	github.com/inferencex/inferencex-go/pkg => ../../pkg
	github.com/inferencex/inferencex-go/schemas => ../../schemas
)
