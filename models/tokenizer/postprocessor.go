package tokenizer

import (
	"encoding/json"
	"fmt"
)

// template is what the post-processor adds around a single sequence: special token ids
// before it and after it.
type template struct {
	prefix, suffix []specialRef
}

// specialRef is a special token the post-processor inserts.
type specialRef struct {
	id   int
	text string
}

// buildPostProcessor turns the post_processor of tokenizer.json into a template for single
// sequences (pairs are not supported). ByteLevel adds nothing (its trim_offsets is ignored:
// offsets here always cover the text exactly).
func buildPostProcessor(raw json.RawMessage) (template, error) {
	c, err := decodeComponent(raw, "post_processor")
	if err != nil || c == nil {
		return template{}, err
	}
	switch c.Type {
	case "ByteLevel":
		return template{}, nil
	case "TemplateProcessing":
		return buildTemplate(c)
	case "RobertaProcessing", "BertProcessing":
		cls, clsID, err := parseTokenTuple(c.Cls)
		if err != nil {
			return template{}, fmt.Errorf("post_processor %s cls: %w", c.Type, err)
		}
		sep, sepID, err := parseTokenTuple(c.Sep)
		if err != nil {
			return template{}, fmt.Errorf("post_processor %s sep: %w", c.Type, err)
		}
		return template{prefix: []specialRef{{clsID, cls}}, suffix: []specialRef{{sepID, sep}}}, nil
	case "Sequence":
		var out template
		for i, child := range c.Processors {
			t, err := buildPostProcessor(child)
			if err != nil {
				return template{}, fmt.Errorf("post_processor Sequence[%d]: %w", i, err)
			}
			out.prefix = append(t.prefix, out.prefix...)
			out.suffix = append(out.suffix, t.suffix...)
		}
		return out, nil
	default:
		return template{}, fmt.Errorf("unsupported post_processor type %q (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)", c.Type)
	}
}

// buildTemplate reads the "single" template of TemplateProcessing.
func buildTemplate(c *componentJSON) (template, error) {
	var t template
	seen := false
	for _, item := range c.Single {
		switch {
		case item.Sequence != nil:
			if item.Sequence.ID != "A" {
				return template{}, fmt.Errorf("post_processor TemplateProcessing: single template uses sequence %q", item.Sequence.ID)
			}
			seen = true
		case item.SpecialToken != nil:
			sp, ok := c.SpecialTokens[item.SpecialToken.ID]
			if !ok {
				return template{}, fmt.Errorf("post_processor TemplateProcessing: special token %q not in special_tokens", item.SpecialToken.ID)
			}
			for k, id := range sp.IDs {
				ref := specialRef{id: id, text: sp.ID}
				if k < len(sp.Tokens) {
					ref.text = sp.Tokens[k]
				}
				if seen {
					t.suffix = append(t.suffix, ref)
				} else {
					t.prefix = append(t.prefix, ref)
				}
			}
		default:
			return template{}, fmt.Errorf("post_processor TemplateProcessing: template item is neither SpecialToken nor Sequence")
		}
	}
	if !seen {
		return template{}, fmt.Errorf("post_processor TemplateProcessing: single template has no $A")
	}
	return t, nil
}
