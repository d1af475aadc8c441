package safetensors

import (
	"encoding/binary"
	"maps"
	"slices"
	"sort"
	"testing"
)

// FuzzParseHeader feeds arbitrary bytes to ParseHeader, both as the start of a file and as the
// JSON header of a file with a correct length prefix; extra is the number of data bytes after
// what is given. ParseHeader must never panic, and whatever it accepts must satisfy the format's
// invariants and survive a round trip through the writer's header encoder.
func FuzzParseHeader(f *testing.F) {
	for _, c := range malformedCases() {
		f.Add(c.file, uint32(0))
	}
	valid := [][]Tensor{
		nil,
		{F32Tensor("w", []int{2, 2}, []float32{1, 2, 3, 4}), BF16Tensor("b", []int{2}, []float32{1, 2})},
		{{"e", F32, []int{0}, nil}, {"s", I64, []int{}, make([]byte, 8)}, {"m", BOOL, []int{1, 1, 3}, []byte{1, 0, 1}}},
	}
	for _, ts := range valid {
		file := encodeFile(ts, map[string]string{"format": "pt"})
		f.Add(file, uint32(0))
		f.Add(file[8:], uint32(len(file)-8-int(binary.LittleEndian.Uint64(file))))
	}
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}`), uint32(0))
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"\u0061":{}}`), uint32(4))
	f.Add([]byte(`{"__metadata__":null,"a":{"data_offsets":[0,1],"shape":[1],"dtype":"U8"}}    `), uint32(1))

	f.Fuzz(func(t *testing.T, data []byte, extra uint32) {
		size := int64(len(data)) + int64(extra)
		h, m, err := ParseHeader(data, size)
		if err == nil {
			checkParsed(t, data, size, h, m)
		}
		file := binary.LittleEndian.AppendUint64(nil, uint64(len(data)))
		file = append(file, data...)
		size = int64(len(file)) + int64(extra)
		h, m, err = ParseHeader(file, size)
		if err == nil {
			checkParsed(t, file, size, h, m)
		}
	})
}

// encodeFile returns the bytes WriteFile would write.
func encodeFile(tensors []Tensor, metadata map[string]string) []byte {
	order := writeOrder(tensors)
	var layout []entry
	var offset int64
	for _, t := range order {
		layout = append(layout, entry{name: t.Name, dtype: t.DType, shape: t.Shape, begin: offset, end: offset + int64(len(t.Data))})
		offset += int64(len(t.Data))
	}
	header := encodeHeader(layout, metadata)
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	file = append(file, header...)
	for _, t := range order {
		file = append(file, t.Data...)
	}
	return file
}

// checkParsed verifies the invariants of an accepted header and its round trip.
func checkParsed(t *testing.T, data []byte, size int64, h map[string]TensorInfo, m map[string]string) {
	headerEnd := 8 + int64(binary.LittleEndian.Uint64(data))
	var total int64
	type span struct{ begin, end int64 }
	var spans []span
	for name, info := range h {
		if info.Name != name || name == metadataKey || !info.DType.Valid() {
			t.Fatalf("bad entry %q: %+v", name, info)
		}
		n, ok := byteSize(info.DType, info.Shape)
		if !ok || info.Begin < headerEnd || info.Begin > info.End || info.End > size || n != info.End-info.Begin {
			t.Fatalf("inconsistent entry %q: %+v (header ends at %d, file size %d)", name, info, headerEnd, size)
		}
		total += n
		spans = append(spans, span{info.Begin, info.End})
	}
	sort.Slice(spans, func(i, j int) bool {
		return spans[i].begin < spans[j].begin || spans[i].begin == spans[j].begin && spans[i].end < spans[j].end
	})
	cursor := headerEnd
	for _, s := range spans {
		if s.begin != cursor {
			t.Fatalf("spans %v do not tile [%d, %d)", spans, headerEnd, size)
		}
		cursor = s.end
	}
	if cursor != size || total != size-headerEnd {
		t.Fatalf("tensors cover %d of %d data bytes", total, size-headerEnd)
	}

	// Round trip through the writer's encoder (header only: the data is never materialized).
	names := slices.Sorted(maps.Keys(h))
	if slices.Contains(names, "") {
		return // legal in the format, refused by the writer
	}
	var layout []entry
	for _, name := range names {
		layout = append(layout, entry{name: name, dtype: h[name].DType, shape: h[name].Shape})
	}
	slices.SortStableFunc(layout, func(a, b entry) int { return dtypes[b.dtype].rank - dtypes[a.dtype].rank })
	var offset int64
	for i := range layout {
		n := h[layout[i].name].End - h[layout[i].name].Begin
		layout[i].begin, layout[i].end = offset, offset+n
		offset += n
	}
	header := encodeHeader(layout, m)
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	file = append(file, header...)
	h2, m2, err := ParseHeader(file, int64(len(file))+offset)
	if err != nil {
		t.Fatalf("re-encoded header refused: %v\n%s", err, header)
	}
	if len(h2) != len(h) || len(m2) != len(m) || (len(m) > 0 && !maps.Equal(m, m2)) {
		t.Fatalf("round trip changed the header: %v %v → %v %v", h, m, h2, m2)
	}
	for name, info := range h {
		got, ok := h2[name]
		if !ok || got.DType != info.DType || !slices.Equal(got.Shape, info.Shape) {
			t.Fatalf("round trip changed %q: %+v → %+v", name, info, got)
		}
	}
}
