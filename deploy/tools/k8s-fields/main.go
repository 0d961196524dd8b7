// k8s-fields reads Kubernetes objects (YAML documents, from the files named or stdin) and decodes each
// into its API type as the API server's strict field validation does: a field the type does not have
// (a misspelt key inside an affinity, a volume source or a selector, which a template passes through),
// a field given twice or a value of the wrong type is named with the path to it. Offline, without a
// cluster: the types are client-go's, at the version go.mod names; an object of a kind client-go does
// not know (a custom resource, e.g. KEDA's ScaledObject) is left out. Each problem is a line
// "INPUT: document N (KIND/NAME): ERROR", N counting the input's non-empty documents from 1. Exit 0 when
// every object decodes, 1 when one does not, 2 when the input cannot be read.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

func main() {
	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
	inputs := os.Args[1:]
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	bad := 0
	for _, input := range inputs {
		docs, err := documents(input)
		if err != nil {
			fmt.Fprintf(os.Stderr, "k8s-fields: %s: %v\n", input, err)
			os.Exit(2)
		}
		for i, doc := range docs {
			_, _, err := strict.Decode(doc, nil, nil)
			if err != nil && !runtime.IsNotRegisteredError(err) {
				fmt.Printf("%s: document %d (%s): %v\n", input, i+1, describe(doc), err)
				bad++
			}
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}

// documents splits a file (or stdin, "-") into its YAML documents, leaving out empty ones.
func documents(input string) ([][]byte, error) {
	file := os.Stdin
	if input != "-" {
		f, err := os.Open(input)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		file = f
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(file))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) > 0 && probe != nil {
			docs = append(docs, doc)
		}
	}
}

// describe names an object as KIND/NAME for the messages.
func describe(doc []byte) string {
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = yaml.Unmarshal(doc, &head)
	return head.Kind + "/" + head.Metadata.Name
}
