module github.com/inferencex/inferencex-go/tools/loadgen

go 1.26.0

require (
	github.com/ardanlabs/jinja v1.8.0
	github.com/inferencex/inferencex-go/pkg v0.0.0
	github.com/inferencex/inferencex-go/schemas v0.0.0
	github.com/prometheus/client_model v0.6.3
	github.com/prometheus/common v0.74.0
)

require (
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/pandatix/go-abnf v0.5.5 // indirect
	github.com/santhosh-tekuri/jsonschema/v5 v5.3.1 // indirect
	github.com/sethvargo/go-githubactions v1.3.1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace (
	github.com/inferencex/inferencex-go/pkg => ../../pkg
	github.com/inferencex/inferencex-go/schemas => ../../schemas
)
