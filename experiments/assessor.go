package experiments

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval/report"
	"github.com/pttrust/pttrust/finetune"
	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/pretrain"
	"github.com/pttrust/pttrust/states"
)

// The files of an assessor bundle: what `pttrust score` needs besides the LM.
const (
	// BundleConfigName is the bundle's cfg.json (BundleInfo).
	BundleConfigName = "cfg.json"
	// BundleSAEDir and BundleBindingDir hold the SAE (pretrain.Load) and the binding MLP
	// (finetune.Load).
	BundleSAEDir     = "sae"
	BundleBindingDir = "binding"
	// BundleExamplesName holds, per SAE latent, the training lines that fire it most.
	BundleExamplesName = "examples.json"
	// examplesPerLatent is the number of nearest examples kept per latent (over all languages),
	// and examplesPerLanguage the most kept per language besides them, so a file's report can
	// show examples in its own language first.
	examplesPerLatent   = 5
	examplesPerLanguage = 2
)

// BundleInfo is an assessor bundle's cfg.json.
type BundleInfo struct {
	// Experiment and ConfigHash name the run that made the bundle.
	Experiment string `json:"experiment"`
	ConfigHash string `json:"config_hash"`
	// Model names the LM the bundle was trained on ("tinycoder (embedded)" or a directory) and
	// ModelID hashes its config.json, tokenizer.json and weight sizes.
	Model   string `json:"model"`
	ModelID string `json:"model_id"`
	// Hook is the state the SAE reads.
	Hook string `json:"hook"`
	// Threshold is the binding's flagging threshold (Youden on validation).
	Threshold float64 `json:"threshold"`
	// Flags calibrates the binding's score and sets the flagging threshold (absent in bundles
	// made before it existed: Threshold flags, no probability).
	Flags *FlagRule `json:"flags,omitempty"`
	// Features is what the binding reads besides the latents (absent in bundles made before
	// it existed: the latents alone).
	Features FeaturesConfig `json:"features"`
	// Seed of the run.
	Seed uint64 `json:"seed"`
	// Code is the build that made the bundle.
	Code buildinfo.Info `json:"code"`
}

// Assessor is a loaded bundle.
type Assessor struct {
	Dir      string
	Info     BundleInfo
	SAE      *pretrain.SAE
	Binding  *finetune.Assessor
	Examples [][]report.Example
}

// flagThreshold is the score from which the bundle flags a line: its flag rule's, or the Youden
// threshold of bundles made before flag rules.
func (a *Assessor) flagThreshold() float64 {
	if a.Info.Flags != nil {
		return a.Info.Flags.Threshold
	}
	return a.Info.Threshold
}

// LoadAssessor reads a bundle directory; errors name the file.
func LoadAssessor(dir string) (*Assessor, error) {
	a := &Assessor{Dir: dir}
	p := filepath.Join(dir, BundleConfigName)
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("assessor %s: no %s: not an assessor directory (an experiment writes one to results/<name>/assessor)", dir, BundleConfigName)
		}
		return nil, fmt.Errorf("assessor: %w", err)
	}
	if err := json.Unmarshal(data, &a.Info); err != nil {
		return nil, fmt.Errorf("assessor %s: %w", p, err)
	}
	if a.Info.Hook == "" {
		return nil, fmt.Errorf("assessor %s: no hook", p)
	}
	if a.SAE, err = pretrain.Load(filepath.Join(dir, BundleSAEDir)); err != nil {
		return nil, fmt.Errorf("assessor: %w", err)
	}
	if a.Binding, err = finetune.Load(filepath.Join(dir, BundleBindingDir)); err != nil {
		return nil, fmt.Errorf("assessor: %w", err)
	}
	if want := a.Info.Features.dim(a.SAE.Config.DSAE); a.Binding.InputDim != want {
		return nil, fmt.Errorf("assessor %s: the binding (%s) reads %d features but the SAE's %d latents with features %q make %d", p, BundleBindingDir, a.Binding.InputDim, a.SAE.Config.DSAE, a.Info.Features.String(), want)
	}
	p = filepath.Join(dir, BundleExamplesName)
	if data, err = os.ReadFile(p); err == nil {
		if err := json.Unmarshal(data, &a.Examples); err != nil {
			return nil, fmt.Errorf("assessor %s: %w", p, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("assessor: %w", err)
	}
	return a, nil
}

// saveAssessor writes the main binding, the SAE and the latents' nearest examples as a bundle
// into dir (a folder of the results being written, which replaces the old results as a whole).
func (r *runner) saveAssessor(dir string, binding *finetune.Assessor) error {
	if err := copyFiles(r.saeDir, filepath.Join(dir, BundleSAEDir)); err != nil {
		return err
	}
	if err := binding.Save(filepath.Join(dir, BundleBindingDir)); err != nil {
		return err
	}
	ex, err := r.latentExamples()
	if err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, BundleExamplesName), ex); err != nil {
		return err
	}
	modelID, err := modelIdentity(r.modelDir)
	if err != nil {
		return err
	}
	info := BundleInfo{Experiment: r.cfg.Name, ConfigHash: hashOf(r.cfg), Model: r.modelName(), ModelID: modelID,
		Hook: r.hook, Threshold: binding.Threshold, Flags: &r.flags, Features: r.cfg.Features, Seed: r.cfg.Seed, Code: buildinfo.Get()}
	return writeJSON(filepath.Join(dir, BundleConfigName), info)
}

// latentExamples finds, for each SAE latent, the train-split lines with the highest activation
// (one per snippet pair, so one program does not fill a latent's list).
func (r *runner) latentExamples() ([][]report.Example, error) {
	code := map[string][]string{}
	err := datasets.ReadSnippets(r.main.snippets, func(s datasets.Snippet) error {
		if s.Split == datasets.Train {
			var lines []string
			for _, l := range states.SplitLines(s.Code) {
				lines = append(lines, s.Code[l.Start:l.End])
			}
			code[s.ID] = lines
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	type cand struct {
		row int
		act float32
	}
	n := r.sae.Config.DSAE
	out := make([][]report.Example, n)
	for j := range n {
		var cs []cand
		for i, z := range r.main.feat.sae {
			if z[j] > 0 && r.main.ls.rows[i].Split == string(datasets.Train) {
				cs = append(cs, cand{i, z[j]})
			}
		}
		slices.SortStableFunc(cs, func(a, b cand) int { return cmp.Compare(b.act, a.act) })
		pairs := map[string]bool{}
		perLang := map[string]int{}
		for _, c := range cs {
			row := r.main.ls.rows[c.row]
			if pairs[row.PairID] {
				continue
			}
			lines := code[row.SnippetID]
			if int(row.Line) >= len(lines) {
				continue
			}
			// The first examplesPerLatent by activation, then more while their language has
			// fewer than examplesPerLanguage.
			if len(out[j]) >= examplesPerLatent && perLang[row.Language] >= examplesPerLanguage {
				continue
			}
			pairs[row.PairID] = true
			perLang[row.Language]++
			out[j] = append(out[j], report.Example{Snippet: row.SnippetID, Line: int(row.Line) + 1, Text: lines[row.Line],
				Activation: c.act, Language: row.Language, Role: row.Role, Faulty: row.Label == 1})
		}
	}
	return out, nil
}

// copyFiles copies the regular files of src (not its folders) into dst.
func copyFiles(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == DoneName {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'))
}
