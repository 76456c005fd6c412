package report

import (
	"math"
	"reflect"
	"testing"
)

func TestPareto(t *testing.T) {
	pts := []*point{{x: 10, y: 100}, {x: 20, y: 90}, {x: 15, y: 80}, {x: 30, y: 50}, {x: 30, y: 40}, {x: 5, y: 100}, {x: 25, y: 90}}
	var got [][2]float64
	for _, p := range Pareto(pts) {
		got = append(got, [2]float64{p.x, p.y})
	}
	want := [][2]float64{{10, 100}, {25, 90}, {30, 50}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if len(Pareto(nil)) != 0 {
		t.Error("empty input")
	}
}

func TestNiceStep(t *testing.T) {
	cases := []struct{ max, want float64 }{{120, 20}, {2500, 500}, {0.9, 0.2}, {7, 2}, {0, 1}, {1e6, 200000}}
	for _, c := range cases {
		if got := niceStep(c.max, 6); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("niceStep(%v) = %v, want %v", c.max, got, c.want)
		}
	}
}
