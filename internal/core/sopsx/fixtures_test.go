package sopsx

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// A test credential: the password, its base64, and the base64 of user:password must never
// appear in anything encrypted or in an error.
const (
	testUser     = "robot+ci"
	testPassword = "s3cr3t-Pa55word-do-not-leak"
)

func secretsOf(password string) []string {
	return []string{
		password,
		base64.StdEncoding.EncodeToString([]byte(password)),
		base64.StdEncoding.EncodeToString([]byte(testUser + ":" + password)),
	}
}

// dockerConfig is a .dockerconfigjson for registries, all with user and password.
func dockerConfig(password string, registries ...string) string {
	auths := map[string]map[string]string{}
	for _, r := range registries {
		auths[r] = map[string]string{
			"username": testUser,
			"password": password,
			"auth":     base64.StdEncoding.EncodeToString([]byte(testUser + ":" + password)),
		}
	}
	b, _ := json.Marshal(map[string]interface{}{"auths": auths})
	return string(b)
}

// secretYAML is a pull Secret as pullgen generates it, with extra data keys.
func secretYAML(ns, name string, data map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n    app.kubernetes.io/managed-by: pullgen\n  annotations:\n    pullgen.dev/pullaccess: %s\ntype: kubernetes.io/dockerconfigjson\ndata:\n", name, ns, name)
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s: %s\n", k, base64.StdEncoding.EncodeToString([]byte(data[k])))
	}
	return b.String()
}

func pullSecret(ns, password string) string {
	return secretYAML(ns, "acme-quay", map[string]string{
		".dockerconfigjson": dockerConfig(password, "quay.io/acme", "registry.example.com", "ghcr.io/acme"),
	})
}
