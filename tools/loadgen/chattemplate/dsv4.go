package chattemplate

// DeepSeek-V4's special tokens around one user turn.
const (
	dsv4BOS       = "<｜begin▁of▁sentence｜>"
	dsv4User      = "<｜User｜>"
	dsv4Assistant = "<｜Assistant｜>"
	dsv4Think     = "<think>"
)

// DeepSeekV4 is DeepSeek-V4's chat format, which its tokenizer files carry
// no template for: upstream main's client (--dsv4) renders each prompt with
// its own encoder (encoding_dsv4.encode_messages) as a single user message
// in thinking mode, which comes to the fixed frame written here.
type DeepSeekV4 struct{}

// RenderUser frames one user message and opens the assistant's thinking.
func (DeepSeekV4) RenderUser(content string) (string, error) {
	return dsv4BOS + dsv4User + content + dsv4Assistant + dsv4Think, nil
}
