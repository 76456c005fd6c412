module github.com/inferencex/inferencex-go/tools/mcpserver

go 1.26

require gopkg.in/yaml.v3 v3.0.1 // indirect

require github.com/inferencex/inferencex-go/pkg v0.0.0

replace github.com/inferencex/inferencex-go/pkg => ../../pkg
