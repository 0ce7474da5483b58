package main

// The container image of the Dockerfile, built with make image and run with podman the
// ways users run it: a kpt function (kpt fn eval --image), a kustomize container function,
// and pullgen render with a mounted key and no network. Each run's output is compared with
// the same run of the binary.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// testImage is the local name the tests build the image under; nothing is pulled.
const testImage = "localhost/pullgen:test"

var (
	imageOnce sync.Once
	imageErr  string
)

// containerImage builds the image once with make image (podman, the project's
// containers.conf) and returns the environment podman must run with. It skips the test
// where podman is not installed, and fails it in CI, whose .ci/run installs podman.
func containerImage(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("podman is not installed: .ci/run installs it (apt-get install podman buildah runc)")
		}
		t.Skip("podman is not installed here, so no container runtime runs the image: skipping (apt-get install podman buildah runc; .ci/run does)")
	}
	env := []string{"CONTAINERS_CONF=" + filepath.Join(repoRoot, ".ci", "containers.conf")}
	imageOnce.Do(func() {
		cmd := exec.Command("make", "image", "IMAGE="+testImage)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			imageErr = "make image: " + err.Error() + "\n" + string(out)
		}
	})
	if imageErr != "" {
		t.Fatal(imageErr)
	}
	return env
}

// dockerShim is a directory with a `docker` that runs podman, as Debian's podman-docker
// provides: kustomize runs container functions with docker.
func dockerShim(t *testing.T) string {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "docker"), "#!/bin/sh\nexec podman \"$@\"\n")
	if err := os.Chmod(filepath.Join(dir, "docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// imageSpec is a PullAccess with plaintext output (the bytes compare), its password from
// TOKEN, linking team-a's Deployments and ServiceAccount default; function is its
// config.kubernetes.io/function annotation, "" for none.
func imageSpec(function string) string {
	s := "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: acme\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n"
	if function != "" {
		s += "    config.kubernetes.io/function: |\n" + function
	}
	return s + `spec:
  namespaces: [team-a]
  registries:
    - server: registry.acme.example
      username: robot
      passwordFrom: {env: TOKEN}
  serviceAccounts: [default]
  workloads: {kinds: [Deployment]}
  output: {encrypt: false}
`
}

const imageDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team-a}
spec:
  template:
    spec:
      containers: [{name: web, image: registry.acme.example/web:1}]
`

// TestImageKptFnEval runs the image as a kpt function (KPT_FN_RUNTIME=podman, never
// pulled): the same package as kpt fn eval --exec with the binary.
func TestImageKptFnEval(t *testing.T) {
	kpt := tool(t, "kpt")
	env := append(containerImage(t), "KPT_FN_RUNTIME=podman", "TOKEN=token-from-kpt")
	pkg := t.TempDir()
	writeFile(t, filepath.Join(pkg, "pullaccess.yaml"), imageSpec(""))
	writeFile(t, filepath.Join(pkg, "deployment.yaml"), imageDeployment)
	fromImage := mustRun(t, pkg, env, kpt, "fn", "eval", ".", "--image", testImage, "--image-pull-policy", "never",
		"--fn-config", "pullaccess.yaml", "--env", "TOKEN", "-o", "stdout")
	fromBinary := mustRun(t, pkg, env, kpt, "fn", "eval", ".", "--exec", pullgen(), "--fn-config", "pullaccess.yaml", "-o", "stdout")
	if fromImage != fromBinary {
		t.Errorf("kpt fn eval --image:\n%s\nwant what --exec gives:\n%s", fromImage, fromBinary)
	}
	for _, want := range []string{"kind: Secret", "- name: acme", "imagePullSecrets"} {
		if !strings.Contains(fromImage, want) {
			t.Errorf("kpt fn eval --image output lacks %q:\n%s", want, fromImage)
		}
	}
}

// TestImageKustomizeContainerFunction runs the image as a kustomize container function
// in transformer position (kustomize runs docker: here podman behind a docker shim): the
// same build as the exec function with the binary.
func TestImageKustomizeContainerFunction(t *testing.T) {
	kustomize := tool(t, "kustomize")
	env := append(containerImage(t), "TOKEN=token-from-kustomize", "PATH="+dockerShim(t)+string(os.PathListSeparator)+os.Getenv("PATH"))
	build := func(function string, flags ...string) string {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "kustomization.yaml"), "resources: [deployment.yaml]\ntransformers: [pullaccess.yaml]\n")
		writeFile(t, filepath.Join(dir, "deployment.yaml"), imageDeployment)
		writeFile(t, filepath.Join(dir, "pullaccess.yaml"), imageSpec(function))
		return mustRun(t, dir, env, kustomize, append([]string{"build", "--enable-alpha-plugins"}, append(flags, ".")...)...)
	}
	fromImage := build("      container:\n        image: " + testImage + "\n        envs: [TOKEN]\n")
	fromBinary := build("      exec:\n        path: "+pullgen()+"\n", "--enable-exec")
	if fromImage != fromBinary {
		t.Errorf("kustomize build with the container function:\n%s\nwant the exec function's:\n%s", fromImage, fromBinary)
	}
	if !strings.Contains(fromImage, "imagePullSecrets:\n      - name: acme") {
		t.Errorf("the Deployment is not linked:\n%s", fromImage)
	}
}

// TestImageRender runs pullgen render in the image as the Argo CD sidecar does, the
// repository and the age key mounted read-only and no network: the manifests equal the
// binary's. The password is in a SOPS-encrypted file only that key opens; without the key
// mounted, render fails (the control).
func TestImageRender(t *testing.T) {
	env := containerImage(t)
	sops := tool(t, "sops")
	keygen := tool(t, "age-keygen")
	keys := t.TempDir()
	keyFile := filepath.Join(keys, "keys.txt")
	mustRun(t, keys, nil, keygen, "-o", keyFile)
	recipient := strings.TrimSpace(mustRun(t, keys, nil, keygen, "-y", keyFile))
	// Readable by the image's user (65532), as a Secret volume presents the key.
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}

	repo := t.TempDir()
	app := filepath.Join(repo, "app")
	// Scoped to the namespace its value goes to, as render requires.
	writeFile(t, filepath.Join(app, "creds.yaml"), "token: token-from-sops\npullgen_scope: pullgen.dev/scope=team-a\n")
	encrypted := mustRun(t, app, nil, sops, "encrypt", "--age", recipient, "creds.yaml")
	writeFile(t, filepath.Join(app, "creds.enc.yaml"), encrypted)
	os.Remove(filepath.Join(app, "creds.yaml"))
	writeFile(t, filepath.Join(app, "kustomization.yaml"), "resources: [deployment.yaml]\ntransformers: [pullaccess.yaml]\n")
	writeFile(t, filepath.Join(app, "deployment.yaml"), imageDeployment)
	writeFile(t, filepath.Join(app, "pullaccess.yaml"), strings.Replace(imageSpec("      exec:\n        path: pullgen\n"),
		"passwordFrom: {env: TOKEN}", "passwordFrom: {file: creds.enc.yaml, key: token}", 1))

	fromBinary := mustRun(t, app, []string{"SOPS_AGE_KEY_FILE=" + keyFile}, pullgen(), "render", ".")
	podman := func(key bool) result {
		args := []string{"run", "--rm", "--network", "none", "--read-only",
			"-v", repo + ":/repo:ro", "-w", "/repo/app"}
		if key {
			args = append(args, "-v", keys+":/keys:ro", "-e", "SOPS_AGE_KEY_FILE=/keys/keys.txt")
		}
		return run(t, repo, env, "", "podman", append(args, testImage, "render", ".")...)
	}
	r := podman(true)
	if r.code != 0 {
		t.Fatalf("pullgen render in the image: exit %d\n%s", r.code, r.stderr)
	}
	if r.stdout != fromBinary {
		t.Errorf("pullgen render in the image:\n%s\nwant the binary's:\n%s", r.stdout, fromBinary)
	}
	if !strings.Contains(fromBinary, "kind: Secret") || !strings.Contains(fromBinary, ".dockerconfigjson") {
		t.Errorf("render printed no pull Secret:\n%s", fromBinary)
	}
	if r := podman(false); r.code == 0 || !strings.Contains(r.stderr, "creds.enc.yaml") {
		t.Errorf("render in the image without the key: exit %d, want a failure naming creds.enc.yaml\n%s", r.code, r.stderr)
	}
}
