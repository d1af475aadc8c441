package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/safetensors"
)

// lmConvertOptions are the inputs of `pttrust lm convert`.
type lmConvertOptions struct {
	// In is the GGUF file.
	In string
	// Out is the Hugging Face directory to create.
	Out string
	// DType is the safetensors dtype of the weights: F32, BF16 or F16.
	DType string
}

func newLMConvertCmd() *cobra.Command {
	var o lmConvertOptions
	cmd := &cobra.Command{
		Use:   "convert FILE.gguf --out DIR",
		Short: "Write a GGUF checkpoint as a Hugging Face directory (config.json, model.safetensors, tokenizer.json)",
		Long: "Dequantizes every tensor of a GGUF file (llama, qwen2, starcoder2 or gpt2 architecture) and writes a\n" +
			"Hugging Face checkpoint directory that transformers and pttrust load. The directory appears whole\n" +
			"(written under a temporary name, then renamed); an existing one is refused.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.In = args[0]
			return runLMConvert(cmd.OutOrStdout(), o)
		},
	}
	cmd.Flags().StringVar(&o.Out, "out", "", "directory to create (required)")
	cmd.Flags().StringVar(&o.DType, "dtype", "F32", "dtype of the weights on disk: F32, BF16 or F16")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runLMConvert(w io.Writer, o lmConvertOptions) error {
	switch o.DType {
	case "F32", "BF16", "F16":
	default:
		return fmt.Errorf("--dtype %q: want F32, BF16 or F16", o.DType)
	}
	if !models.IsGGUF(o.In) {
		return fmt.Errorf("%s is not a GGUF file", o.In)
	}
	if err := models.ConvertGGUF(o.In, o.Out, models.SaveOptions{DType: safetensors.DType(o.DType)}); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (config.json, model.safetensors, tokenizer.json, tokenizer_config.json)\n", o.Out)
	return nil
}
