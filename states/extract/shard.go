package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/internal/buildinfo"
)

// Row is one scored line: the fixed columns of a shard. The state vectors are written as one
// LIST<FLOAT> column per hook, named by StateColumn, after the fixed columns.
type Row struct {
	SnippetID    string `parquet:"snippet_id"`
	PairID       string `parquet:"pair_id"`
	Language     string `parquet:"language,dict"`
	Source       string `parquet:"source,dict"`
	Task         string `parquet:"task,dict"`
	Role         string `parquet:"role,dict"`
	Split        string `parquet:"split,dict"`
	Line         int32  `parquet:"line"`
	Label        int32  `parquet:"label"`
	OriginalLine int32  `parquet:"original_line"`
	TokenCount   int32  `parquet:"token_count"`
	// ContextTokens is the number of tokens before the line's last token in the window it was
	// scored in (its position in that window).
	ContextTokens int32   `parquet:"context_tokens"`
	MeanLogProb   float32 `parquet:"mean_logprob"`
	MinLogProb    float32 `parquet:"min_logprob"`
	MeanEntropy   float32 `parquet:"mean_entropy"`
	LookbackRatio float32 `parquet:"lookback_ratio"`
	// States holds one vector per hook, in Config.Hooks order.
	States [][]float32 `parquet:"-"`
}

// SchemaVersion is written in each shard's key/value metadata ("pttrust.schema") and in the
// manifest. Version 2: comment-only lines, continuation lines of multi-line strings and Python
// docstrings are not scored (datasets.ScorableLines).
const SchemaVersion = "line_states/2"

// StateColumn names the column of a hook: "state_" + the hook with "." replaced by "_"
// ("blocks.2.resid_post" -> "state_blocks_2_resid_post").
func StateColumn(hook string) string { return "state_" + strings.ReplaceAll(hook, ".", "_") }

// rowType builds the Go struct type of a shard row for the given state columns: Row's fields
// without States, then one []float32 field per column.
func rowType(columns []string) reflect.Type {
	base := reflect.TypeOf(Row{})
	var fields []reflect.StructField
	for i := range base.NumField() {
		f := base.Field(i)
		if f.Name == "States" {
			continue
		}
		f.Index, f.Offset = nil, 0
		fields = append(fields, f)
	}
	for i, c := range columns {
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("State%d", i),
			Type: reflect.TypeOf([]float32(nil)),
			Tag:  reflect.StructTag(fmt.Sprintf(`parquet:"%s,list"`, c)),
		})
	}
	return reflect.StructOf(fields)
}

// rowsPerGroup bounds a shard's row groups.
const rowsPerGroup = 4096

// writeShard writes rows atomically to path and returns the file's SHA-256 and size. Up to
// maxColumnarStates state columns it writes through parquet-go's typed column writer
// (writeColumnar); more go through the reflect row path (writeReflect). Both write the same
// bytes.
func writeShard(path string, columns, hooks []string, rows []Row) (string, int64, error) {
	write := writeColumnar
	if len(columns) > maxColumnarStates {
		write = writeReflect
	}
	return writeShardWith(path, columns, hooks, rows, write)
}

// shardWriteFunc writes rows to w as one Parquet file with the given writer options.
type shardWriteFunc func(w io.Writer, columns []string, rows []Row, opts []parquet.WriterOption) error

// writeShardWith writes rows atomically to path with write and returns the file's SHA-256 and
// size.
func writeShardWith(path string, columns, hooks []string, rows []Row, write shardWriteFunc) (string, int64, error) {
	h := sha256.New()
	var size int64
	err := atomicfile.Write(path, func(w io.Writer) error {
		cw := &countWriter{w: io.MultiWriter(w, h)}
		opts := []parquet.WriterOption{
			parquet.Compression(&parquet.Zstd),
			parquet.MaxRowsPerRowGroup(rowsPerGroup),
			parquet.CreatedBy("pttrust", "states", SchemaVersion),
			parquet.KeyValueMetadata("pttrust.schema", SchemaVersion),
			parquet.KeyValueMetadata("pttrust.hooks", strings.Join(hooks, ",")),
		}
		if err := write(cw, columns, rows, opts); err != nil {
			return err
		}
		size = cw.n
		return nil
	})
	if err != nil {
		return "", 0, fmt.Errorf("write shard %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// shardSchemaName is the name of a shard's Parquet schema (its root).
const shardSchemaName = "line_state"

// maxColumnarStates is the number of state fields of columnarRow.
const maxColumnarStates = 8

// columnarRow is a shard row as parquet-go's GenericWriter maps it to columns without
// deconstructing each value: Row's fixed columns (States is not a column), then state fields
// that struct-tag options name after the shard's state columns or leave out.
type columnarRow struct {
	Row
	S0, S1, S2, S3, S4, S5, S6, S7 []float32
}

// writeColumnar writes rows through parquet.GenericWriter[columnarRow], whose writer goes
// column by column (a state vector is appended to its column in one copy). Rows are handed over
// one at a time: the writer closes a page when a write leaves it full, so larger writes would
// cut other pages (the same values in other bytes) than the reflect writer does.
func writeColumnar(w io.Writer, columns []string, rows []Row, opts []parquet.WriterOption) error {
	var tags []parquet.SchemaOption
	for i := range maxColumnarStates {
		tag := reflect.StructTag(`parquet:"-"`)
		if i < len(columns) {
			tag = reflect.StructTag(fmt.Sprintf(`parquet:"%s,list"`, columns[i]))
		}
		tags = append(tags, parquet.StructTag(tag, fmt.Sprintf("S%d", i)))
	}
	schema := parquet.NewSchema(shardSchemaName, parquet.SchemaOf(new(columnarRow), tags...))
	opts = append(opts, schema)
	for _, t := range tags {
		opts = append(opts, t.(parquet.WriterOption))
	}
	pw := parquet.NewGenericWriter[columnarRow](w, opts...)
	buf := make([]columnarRow, 1)
	for _, r := range rows {
		c := &buf[0]
		*c = columnarRow{Row: r}
		c.Row.States = nil
		st := [maxColumnarStates]*[]float32{&c.S0, &c.S1, &c.S2, &c.S3, &c.S4, &c.S5, &c.S6, &c.S7}
		for j := range columns {
			*st[j] = r.States[j]
		}
		if _, err := pw.Write(buf); err != nil {
			return err
		}
	}
	return pw.Close()
}

// writeReflect writes rows through a row type built at run time (rowType), one row at a time.
func writeReflect(w io.Writer, columns []string, rows []Row, opts []parquet.WriterOption) error {
	t := rowType(columns)
	schema := parquet.NewSchema(shardSchemaName, parquet.SchemaOf(reflect.New(t).Interface()))
	nFixed := t.NumField() - len(columns)
	pw := parquet.NewWriter(w, append([]parquet.WriterOption{schema}, opts...)...)
	v := reflect.New(t)
	e := v.Elem()
	for i := range rows {
		src := reflect.ValueOf(rows[i])
		k := 0
		for j := range src.NumField() {
			if src.Type().Field(j).Name == "States" {
				continue
			}
			e.Field(k).Set(src.Field(j))
			k++
		}
		for j := range columns {
			e.Field(nFixed + j).Set(reflect.ValueOf(rows[i].States[j]))
		}
		if err := pw.Write(v.Interface()); err != nil {
			return err
		}
	}
	return pw.Close()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ShardName is the file name of shard i.
func ShardName(i int) string { return fmt.Sprintf("shard-%05d.parquet", i) }

// ManifestName is the manifest's file name in the output directory.
const ManifestName = "manifest.json"

// Manifest describes an extraction run; it is rewritten atomically after each shard.
type Manifest struct {
	Schema string `json:"schema"`
	// Complete is true once every snippet of the input is in a shard.
	Complete bool `json:"complete"`
	// ConfigHash is the SHA-256 of Settings (what decides the shards' bytes); a run resumes
	// only in a directory whose manifest has the same hash.
	ConfigHash string   `json:"config_hash"`
	Settings   Settings `json:"settings"`
	// ModelDir and DataPath are the paths given (not part of the hash).
	ModelDir string `json:"model_dir"`
	DataPath string `json:"data_path"`
	// Columns maps each hook to its state column.
	Columns map[string]string `json:"columns"`
	Shards  []ShardInfo       `json:"shards"`
	// Totals over the shards.
	Snippets int `json:"snippets"`
	Rows     int `json:"rows"`
	Tokens   int `json:"tokens"`
	Problems int `json:"problems"`
	// Code is the build that wrote the last shard.
	Code buildinfo.Info `json:"code"`
}

// Settings are the inputs that decide the shards' bytes.
type Settings struct {
	Schema         string    `json:"schema"`
	Model          ModelInfo `json:"model"`
	Data           DataInfo  `json:"data"`
	Hooks          []string  `json:"hooks"`
	Window         int       `json:"window"`
	Stride         int       `json:"stride"`
	BatchTokens    int       `json:"batch_tokens"`
	ShardSnippets  int       `json:"shard_snippets"`
	AttentionLayer int       `json:"attention_layer"` // -1: no lookback ratio
	Backend        string    `json:"backend"`
	// NoTokenStats: no log-prob and entropy columns (omitted when false, so older manifests
	// keep their hash).
	NoTokenStats bool `json:"no_token_stats,omitempty"`
}

// ModelInfo identifies the model: its architecture and the SHA-256 of config.json and
// tokenizer.json, and the weights' total size (weights are not hashed: they can be gigabytes).
type ModelInfo struct {
	Source          string `json:"source"`
	ModelType       string `json:"model_type"`
	NumLayers       int    `json:"num_layers"`
	DModel          int    `json:"d_model"`
	ConfigSHA256    string `json:"config_sha256"`
	TokenizerSHA256 string `json:"tokenizer_sha256"`
	WeightsBytes    int64  `json:"weights_bytes"`
}

// DataInfo identifies the input file.
type DataInfo struct {
	SHA256   string `json:"sha256"`
	Bytes    int64  `json:"bytes"`
	Snippets int    `json:"snippets"`
}

// ShardInfo is one complete shard.
type ShardInfo struct {
	File string `json:"file"`
	// FirstSnippet and Snippets give the input rows the shard covers.
	FirstSnippet int       `json:"first_snippet"`
	Snippets     int       `json:"snippets"`
	Rows         int       `json:"rows"`
	Tokens       int       `json:"tokens"`
	SHA256       string    `json:"sha256"`
	Bytes        int64     `json:"bytes"`
	Problems     []Problem `json:"problems,omitempty"`
}

// Hash returns the SHA-256 of the settings' JSON form.
func (s Settings) Hash() string {
	data, _ := json.Marshal(s)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	for i, sh := range m.Shards {
		// A shard is a file of this folder: a name with a separator or "..", say "../../x",
		// would read (or, resuming, replace) a file elsewhere.
		if sh.File == "" || sh.File != filepath.Base(sh.File) || sh.File == ".." || sh.File == "." || strings.ContainsRune(sh.File, '\\') {
			return nil, fmt.Errorf("%s: shard %d: file %q is not a plain file name in this folder", filepath.Join(dir, ManifestName), i, sh.File)
		}
	}
	return &m, nil
}

func writeManifest(dir string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ManifestName), append(data, '\n'))
}

// fileSHA256 hashes a file.
func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
