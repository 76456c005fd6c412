package frameworks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/yamldoc"
	"github.com/inferencex/inferencex-go/tools/mcpserver/version"
)

// Use is one config entry that runs a framework version.
type Use struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Config string `json:"config"`
	Image  string `json:"image"`
}

// Versions is what the configs say about one framework.
type Versions struct {
	Framework string `json:"framework"`
	// Versions maps each detected version to the entries that use it.
	Versions map[string][]Use `json:"versions"`
	// Unversioned lists entries about the framework whose image names no
	// version of it (a dev build, or another product's runtime image).
	Unversioned []Use `json:"unversioned,omitempty"`
}

// Sorted returns the detected versions newest first.
func (v *Versions) Sorted() []string {
	out := make([]string, 0, len(v.Versions))
	for k := range v.Versions {
		out = append(out, k)
	}
	version.SortDesc(out)
	return out
}

// Primary is the newest detected version, the one served by default.
func (v *Versions) Primary() (string, bool) {
	s := v.Sorted()
	if len(s) == 0 {
		return "", false
	}
	return s[0], true
}

// Detection is the result of reading the master configs.
type Detection struct {
	Files []string `json:"files"`
	// Missing lists config files that do not exist (reading carries on
	// without them, as the original did).
	Missing []string `json:"missing,omitempty"`
	// ByFramework holds one entry per framework of the set, in its order.
	ByFramework []*Versions `json:"frameworks"`
	// Unmapped lists entries that concern none of the frameworks (ATOM, say).
	Unmapped []Use `json:"unmapped,omitempty"`
}

// For returns the detection for framework name.
func (d *Detection) For(name string) *Versions {
	for _, v := range d.ByFramework {
		if v.Framework == name {
			return v
		}
	}
	return nil
}

// Detect reads the master configs and collects, per framework, the versions
// their image tags name. Only the image and framework fields of each
// top-level entry are read; entries without a string image are skipped. A
// file that does not exist is listed in Missing; one that does not parse
// is an error that names the file and line.
func Detect(set *Set, files []string) (*Detection, error) {
	d := &Detection{Files: slices.Clone(files)}
	for _, f := range set.List() {
		d.ByFramework = append(d.ByFramework, &Versions{Framework: f.Name, Versions: map[string][]Use{}})
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			d.Missing = append(d.Missing, file)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading config: %w", err)
		}
		doc, err := yamldoc.Parse(file, data)
		if err != nil {
			return nil, err
		}
		if doc.Root == nil {
			continue
		}
		root, ok := doc.Root.(map[string]any)
		if !ok {
			p := doc.Pos("")
			return nil, diag.Errorf(file, p.Line, p.Col, "", "expected a mapping of config names to entries")
		}
		for _, name := range doc.Keys("") {
			entry, ok := root[name].(map[string]any)
			if !ok {
				continue
			}
			image, ok := entry["image"].(string)
			if !ok {
				continue
			}
			framework, _ := entry["framework"].(string)
			ptr := diag.AppendToken("", name)
			use := Use{File: file, Line: doc.KeyPos(ptr).Line, Config: name, Image: image}
			mapped := false
			for i, f := range set.List() {
				if !f.Concerns(framework, image) {
					continue
				}
				mapped = true
				if v, ok := f.VersionFromImage(image); ok {
					d.ByFramework[i].Versions[v] = append(d.ByFramework[i].Versions[v], use)
				} else {
					d.ByFramework[i].Unversioned = append(d.ByFramework[i].Unversioned, use)
				}
			}
			if !mapped {
				d.Unmapped = append(d.Unmapped, use)
			}
		}
	}
	return d, nil
}
