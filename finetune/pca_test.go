package finetune

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPCAKnownAxes: four points m ± 3u, m ± v with u ⟂ v unit vectors (a rotated basis of R³):
// the covariance is (18·uuᵀ + 2·vvᵀ)/3, so the axes are exactly u then v (up to sign, fixed by the
// convention), with variances 6 and 2/3, and the mean is m.
func TestPCAKnownAxes(t *testing.T) {
	s := 1 / math.Sqrt(2)
	u := []float64{s, s, 0}
	v := []float64{0, 0, 1}
	m := []float64{5, -2, 1}
	var rows [][]float32
	for _, p := range []struct {
		a   float64
		dir []float64
	}{{3, u}, {-3, u}, {1, v}, {-1, v}} {
		r := make([]float32, 3)
		for j := range r {
			r[j] = float32(m[j] + p.a*p.dir[j])
		}
		rows = append(rows, r)
	}
	p, err := FitPCA(rows, 2)
	if err != nil {
		t.Fatal(err)
	}
	for j := range 3 {
		if math.Abs(p.Mean[j]-m[j]) > 1e-6 {
			t.Errorf("mean[%d] = %v, want %v", j, p.Mean[j], m[j])
		}
	}
	for k, want := range [][]float64{u, v} {
		for j := range 3 {
			if math.Abs(p.Components[k][j]-want[j]) > 1e-6 {
				t.Errorf("component %d = %v, want %v", k, p.Components[k], want)
				break
			}
		}
	}
	if math.Abs(p.Variance[0]-6) > 1e-5 || math.Abs(p.Variance[1]-2.0/3) > 1e-5 {
		t.Errorf("variances %v, want [6 0.667]", p.Variance)
	}
	got := p.Transform(rows[0]) // m + 3u → (3, 0)
	if math.Abs(float64(got[0])-3) > 1e-5 || math.Abs(float64(got[1])) > 1e-5 {
		t.Errorf("Transform(m + 3u) = %v, want [3 0]", got)
	}
}

// TestPCAReconstruction: on anisotropic data, reconstructing from the top components loses less
// than from any of 20 random orthonormal projections of the same size.
func TestPCAReconstruction(t *testing.T) {
	const d, k, n = 20, 5, 600
	rng := rand.New(rand.NewPCG(3, 4))
	mix := make([][]float64, d) // random linear map of a scaled Gaussian
	for i := range mix {
		mix[i] = make([]float64, d)
		for j := range mix[i] {
			mix[i][j] = rng.NormFloat64()
		}
	}
	rows := make([][]float32, n)
	for r := range rows {
		z := make([]float64, d)
		for j := range z {
			z[j] = rng.NormFloat64() * math.Pow(0.7, float64(j))
		}
		rows[r] = make([]float32, d)
		for i := range d {
			s := 1.0
			for j := range d {
				s += mix[i][j] * z[j]
			}
			rows[r][i] = float32(s)
		}
	}
	p, err := FitPCA(rows, k)
	if err != nil {
		t.Fatal(err)
	}
	pcaErr := reconError(rows, p.Mean, p.Components)
	for trial := range 20 {
		basis := randomOrthonormal(rng, k, d)
		if e := reconError(rows, p.Mean, basis); e <= pcaErr {
			t.Errorf("random projection %d: error %v <= PCA's %v", trial, e, pcaErr)
		}
	}
	t.Logf("PCA reconstruction error %.4f (mean squared, per row)", pcaErr)
}

func reconError(rows [][]float32, mean []float64, basis [][]float64) float64 {
	total := 0.0
	for _, r := range rows {
		x := make([]float64, len(r))
		for j, v := range r {
			x[j] = float64(v) - mean[j]
		}
		rec := make([]float64, len(r))
		for _, b := range basis {
			c := 0.0
			for j := range x {
				c += b[j] * x[j]
			}
			for j := range rec {
				rec[j] += c * b[j]
			}
		}
		for j := range x {
			total += (x[j] - rec[j]) * (x[j] - rec[j])
		}
	}
	return total / float64(len(rows))
}

// randomOrthonormal returns k orthonormal vectors of R^d (Gram–Schmidt on Gaussian vectors).
func randomOrthonormal(rng *rand.Rand, k, d int) [][]float64 {
	var out [][]float64
	for len(out) < k {
		v := make([]float64, d)
		for j := range v {
			v[j] = rng.NormFloat64()
		}
		for _, b := range out {
			c := 0.0
			for j := range v {
				c += v[j] * b[j]
			}
			for j := range v {
				v[j] -= c * b[j]
			}
		}
		nrm := 0.0
		for _, x := range v {
			nrm += x * x
		}
		for j := range v {
			v[j] /= math.Sqrt(nrm)
		}
		out = append(out, v)
	}
	return out
}

func TestPCAErrors(t *testing.T) {
	if _, err := FitPCA([][]float32{{1, 2}}, 1); err == nil {
		t.Error("one row accepted")
	}
	if _, err := FitPCA([][]float32{{1, 2}, {3, 4}}, 3); err == nil {
		t.Error("dims > dim accepted")
	}
	if _, err := FitPCA([][]float32{{1, 2}, {3}}, 1); err == nil {
		t.Error("ragged rows accepted")
	}
}
