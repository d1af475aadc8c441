package tokenizer_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/pttrust/pttrust/models/tokenizer"
)

// Example encodes a line of code with the Qwen3 (Qwen2-family) tokenizer and prints each
// token with the source bytes it covers.
func Example() {
	f, err := os.Open("testdata/qwen3.tokenizer.json.gz")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		panic(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		panic(err)
	}
	tk, err := tokenizer.FromJSON(data)
	if err != nil {
		panic(err)
	}
	src := "    return x  \n"
	for _, t := range tk.Encode(src) {
		fmt.Printf("%6d [%2d,%2d) %q\n", t.ID, t.Start, t.End, src[t.Start:t.End])
	}
	// Output:
	//    262 [ 0, 3) "   "
	//    470 [ 3,10) " return"
	//    856 [10,12) " x"
	//   2303 [12,15) "  \n"
}
