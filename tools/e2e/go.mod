module github.com/inferencex/inferencex-go/tools/e2e

go 1.26

require (
	github.com/inferencex/inferencex-go/pkg v0.0.0
	github.com/inferencex/inferencex-go/schemas v0.0.0
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/santhosh-tekuri/jsonschema/v5 v5.3.1 // indirect

replace (
	github.com/inferencex/inferencex-go/pkg => ../../pkg
	github.com/inferencex/inferencex-go/schemas => ../../schemas
)
