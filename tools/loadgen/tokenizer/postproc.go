package tokenizer

import (
	"encoding/json"
	"fmt"
)

// postProcessor adds special tokens around an encoded single sequence
// when encoding with addSpecialTokens.
type postProcessor interface {
	process(ids []int32) []int32
}

// templatePost is TemplateProcessing for a single sequence: special token
// ids before and after it.
type templatePost struct {
	before, after []int32
}

func (p templatePost) process(ids []int32) []int32 {
	out := make([]int32, 0, len(p.before)+len(ids)+len(p.after))
	out = append(out, p.before...)
	out = append(out, ids...)
	return append(out, p.after...)
}

type seqPost []postProcessor

func (s seqPost) process(ids []int32) []int32 {
	for _, p := range s {
		ids = p.process(ids)
	}
	return ids
}

type nopPost struct{}

func (nopPost) process(ids []int32) []int32 { return ids }

func buildPostProcessor(raw json.RawMessage, path string) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw, path)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "ByteLevel":
		// Only adjusts offsets; ids are unchanged.
		return nopPost{}, nil
	case "Sequence":
		var seq struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := decodeAt(raw, path, &seq); err != nil {
			return nil, err
		}
		var out seqPost
		for i, sub := range seq.Processors {
			p, err := buildPostProcessor(sub, fmt.Sprintf("%s.processors[%d]", path, i))
			if err != nil {
				return nil, err
			}
			if p != nil {
				out = append(out, p)
			}
		}
		return out, nil
	case "RobertaProcessing", "BertProcessing":
		var j struct {
			Sep []json.RawMessage `json:"sep"`
			Cls []json.RawMessage `json:"cls"`
		}
		if err := decodeAt(raw, path, &j); err != nil {
			return nil, err
		}
		cls, err := tokenPairID(j.Cls, path+".cls")
		if err != nil {
			return nil, err
		}
		sep, err := tokenPairID(j.Sep, path+".sep")
		if err != nil {
			return nil, err
		}
		return templatePost{before: []int32{cls}, after: []int32{sep}}, nil
	case "TemplateProcessing":
		return buildTemplate(raw, path)
	}
	return nil, errAt(path+".type", "unknown post-processor %q (supported: %s)", typ,
		nameList("ByteLevel", "TemplateProcessing", "RobertaProcessing", "BertProcessing", "Sequence"))
}

// tokenPairID reads ["[CLS]", 101].
func tokenPairID(pair []json.RawMessage, path string) (int32, error) {
	if len(pair) != 2 {
		return 0, errAt(path, `expected ["token", id]`)
	}
	var id int32
	if err := decodeAt(pair[1], path+"[1]", &id); err != nil {
		return 0, err
	}
	return id, nil
}

func buildTemplate(raw json.RawMessage, path string) (postProcessor, error) {
	type piece struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	}
	var j struct {
		Single        []piece `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int32 `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := decodeAt(raw, path, &j); err != nil {
		return nil, err
	}
	var p templatePost
	seen := false
	for i, pc := range j.Single {
		at := fmt.Sprintf("%s.single[%d]", path, i)
		switch {
		case pc.Sequence != nil:
			if pc.Sequence.ID != "A" {
				return nil, errAt(at, "sequence %q in a single-sequence template (expected A)", pc.Sequence.ID)
			}
			if seen {
				return nil, errAt(at, "sequence A appears twice")
			}
			seen = true
		case pc.SpecialToken != nil:
			st, ok := j.SpecialTokens[pc.SpecialToken.ID]
			if !ok {
				return nil, errAt(at, "special token %q is not in special_tokens", pc.SpecialToken.ID)
			}
			if seen {
				p.after = append(p.after, st.IDs...)
			} else {
				p.before = append(p.before, st.IDs...)
			}
		default:
			return nil, errAt(at, `expected {"SpecialToken": ...} or {"Sequence": ...}`)
		}
	}
	if !seen {
		return nil, errAt(path+".single", "template has no sequence A")
	}
	return p, nil
}
