module github.com/inferencex/inferencex-go/pkg

go 1.26

require (
	github.com/inferencex/inferencex-go/schemas v0.0.0
	github.com/sethvargo/go-githubactions v1.3.1
	gopkg.in/yaml.v3 v3.0.1
)

replace github.com/inferencex/inferencex-go/schemas => ../schemas
