"""The Go text/template subset (Flux commit messages), Flux's TemplateData rebuilt from edited files, and the
``.argocd-source-<app>.yaml`` writer."""

from __future__ import annotations

import pytest

from image_updater.delivery.gotemplate import GoTemplateError, parse
from image_updater.sources.argocd.source_file import file_name, helm_file, kustomize_file, merge_image, scalar
from image_updater.sources.flux.message import (
    Change,
    FluxMessage,
    NamespacedName,
    ObjectIdentifier,
    Result,
    TemplateData,
    changed,
    check_template,
)

GUIDE = """\
Automated image update

Automation name: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind }} {{ $resource.Name }}
  Changes:
{{- range $_, $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
"""


def data(files: dict[str, dict[ObjectIdentifier, list[Change]]], values: dict[str, str] | None = None) -> TemplateData:
    return TemplateData(NamespacedName("flux-system", "auto"), Result(files), values or {})


def test_the_guide_template_renders_as_go_does_with_maps_in_key_order() -> None:
    deploy = ObjectIdentifier("apps/v1", "Deployment", "web", "")
    cron = ObjectIdentifier("batch/v1", "CronJob", "backup", "jobs")
    text = parse(GUIDE).render(
        data(
            {
                "web.yaml": {deploy: [Change("web:1.0.0", "web:1.1.0", "flux-system:web")]},
                "a/backup.yaml": {cron: [Change("tool:2", "tool:3", "flux-system:tool")]},
            }
        )
    )
    assert text == (
        "Automated image update\n\nAutomation name: flux-system/auto\n\nFiles:\n- a/backup.yaml\n- web.yaml\n"
        "Objects:\n- Deployment web\n  Changes:\n    - web:1.0.0 -> web:1.1.0\n"
        "- CronJob backup\n  Changes:\n    - tool:2 -> tool:3\n"
    )  # objects sort by APIVersion first (apps/v1 < batch/v1), as Go's fmtsort orders struct keys


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ("{{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}", "a -> b\n"),
        (
            "{{ len .Changed.Changes }} by {{ .AutomationObject.Name }} in {{ .AutomationObject.Namespace }}",
            "1 by auto in flux-system",
        ),
        ("[{{ .Values.cluster }}] {{ .Values.missing }}", "[eu] <no value>"),
        ("a  {{- /* a comment */ -}}  b", "ab"),
        ("{{ if eq 1 2 }}x{{ else if ne 1 1 }}y{{ else }}z{{ end }}", "z"),
        ("{{ with .Values.cluster }}on {{ . }}{{ end }}{{ with .Values.none }}never{{ else }}-{{ end }}", "on eu-"),
        ("{{ $n := len .Changed.Changes }}{{ if gt $n 0 }}{{ $n }} change{{ end }}", "1 change"),
        ('{{ printf "%s=%d %q %%" "k" 3 "v" }}', 'k=3 "v" %'),
        ('{{ print 1 2 }} {{ print "a" 1 2 "b" }}', "1 2 a1 2b"),
        ('{{ "Image Update" | lower | replace " " "-" | trunc 5 | upper }}', "IMAGE"),
        ('{{ index .Values "cluster" }} {{ index .Values "none" }}', "eu <no value>"),
        ('{{ range $i, $c := .Changed.Changes }}{{ $i }}:{{ $c.Setter | trimPrefix "flux-system:" }}{{ end }}', "0:x"),
        ("{{ range .Values.none }}x{{ else }}empty{{ end }}", "empty"),
        ('{{ and 1 0 }} {{ or 0 "" "z" }} {{ not false }}', "0 z true"),
        (
            '{{ quote "a" "b" }} {{ hasPrefix "ab" "abc" }} {{ contains "b" "abc" }} {{ title "a b" }}',
            '"a" "b" true true A B',
        ),
    ],
)
def test_supported_constructs_render_as_go_text_template(template: str, rendered: str) -> None:
    change = {ObjectIdentifier("v1", "Pod", "p", ""): [Change("a", "b", "x")]}
    assert parse(template).render(data({"p.yaml": change}, {"cluster": "eu"})) == rendered


@pytest.mark.parametrize(
    ("template", "says", "line"),
    [
        ('{{ define "x" }}y{{ end }}', '"define" is not supported', 1),
        ('{{ template "x" }}', '"template" is not supported', 1),
        ("{{ range . }}{{ break }}{{ end }}", '"break" is not supported', 1),
        ("a\n{{ $x := 1 }}\n{{ $x = 2 }}", 'variable re-assignment "$x = …"', 3),
        ("{{ .Changed | toString }}", 'function "toString" is not supported', 1),
        ("x\n\n{{ sha256sum .Values }}", 'function "sha256sum" is not supported', 3),
        ("{{ $undeclared }}", "undefined variable $undeclared", 1),
        ("{{ if .X }}no end", "missing {{end}}", 1),
        ("{{ .Changed.Changes 1 }}", "calling a method with arguments is not supported", 1),
        ("{{ 'c' }}", "character constants are not supported", 1),
    ],
)
def test_constructs_outside_the_subset_are_refused_at_parse_naming_them_and_their_line(
    template: str, says: str, line: int
) -> None:
    with pytest.raises(GoTemplateError) as raised:
        parse(template)
    assert says in str(raised.value) and raised.value.line == line


def test_join_takes_the_separator_first_as_sprig_does() -> None:
    assert parse('{{ join ", " .L }}').render({"L": ["a", "b"]}) == "a, b"


def test_printing_a_map_or_struct_is_refused_rather_than_formatted_differently() -> None:
    with pytest.raises(GoTemplateError, match="printing a map is not supported"):
        check_template("{{ .Changed.FileChanges }}", "ns", "a", {})
    with pytest.raises(GoTemplateError, match="printing a struct is not supported"):
        check_template("{{ range $o, $_ := .Changed.Objects }}{{ $o }}{{ end }}", "ns", "a", {})
    with pytest.raises(GoTemplateError, match=r"removed '\.Updated' field"):
        check_template("{{ range .Updated.Images }}{{ . }}{{ end }}", "ns", "a", {})


def test_python_internals_are_not_fields_a_template_can_reach() -> None:
    # Go reaches exported fields only; a template must never walk into __class__ or call __init__.
    for template in ("{{ .AutomationObject.__class__.__name__ }}", "{{ .Changed.__init__ }}"):
        with pytest.raises(GoTemplateError, match="can't evaluate field __"):
            check_template(template, "ns", "a", {})


BEFORE = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "flux-system:web"}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cache
  namespace: apps
spec:
  values:
    image:
      repository: ghcr.io/acme/cache # {"$imagepolicy": "flux-system:cache:name"}
      tag: 7.2.0 # {"$imagepolicy": "flux-system:cache:tag"}
"""


def test_flux_data_is_rebuilt_from_the_edited_files_as_flux_setters_report_it() -> None:
    after = BEFORE.replace(b"web:1.0.0", b"web:1.1.0").replace(b"tag: 7.2.0", b"tag: 7.2.5")
    result = changed(
        [("clusters/prod/apps.yaml", BEFORE, after), ("clusters/prod/same.yaml", BEFORE, BEFORE)], "clusters"
    )
    assert result.FileChanges == {
        "prod/apps.yaml": {  # relative to update.path; unchanged files and fields are absent
            ObjectIdentifier("apps/v1", "Deployment", "web", ""): [
                Change("ghcr.io/acme/web:1.0.0", "ghcr.io/acme/web:1.1.0", "flux-system:web")
            ],
            ObjectIdentifier("helm.toolkit.fluxcd.io/v2", "HelmRelease", "cache", "apps"): [
                Change("7.2.0", "7.2.5", "flux-system:cache:tag")
            ],
        }
    }
    message = FluxMessage(parse("{{ range .Changed.Changes }}{{ .Setter }} {{ end }}"), "flux-system", "a", ".", {})
    assert message([("apps.yaml", BEFORE, after)]) == "flux-system:web flux-system:cache:tag "


def test_argocd_source_files_are_what_argocd_image_updater_writes() -> None:
    assert kustomize_file(["ghcr.io/acme/web:1.3.1", "redis=ghcr.io/acme/redis:7.2.5"]) == (
        b"kustomize:\n  images:\n  - ghcr.io/acme/web:1.3.1\n  - redis=ghcr.io/acme/redis:7.2.5\n"
    )
    assert helm_file([("image.tag", "1.20"), ("image.name", "ghcr.io/acme/web"), ("replicas", "2")]) == (
        b"helm:\n  parameters:\n  - name: image.name\n    value: ghcr.io/acme/web\n    forcestring: true\n"
        b'  - name: image.tag\n    value: "1.20"\n    forcestring: true\n'
        b'  - name: replicas\n    value: "2"\n    forcestring: true\n'
    )
    assert [scalar(v) for v in ("v2.40.0", "web:1@sha256:ab", "true", "yes", "null", "", "1e3")] == [
        "v2.40.0",
        "web:1@sha256:ab",
        '"true"',
        '"yes"',
        '"null"',
        '""',
        '"1e3"',
    ]
    assert merge_image(["a:1", "b=c:2"], "b=c:3") == ["a:1", "b=c:3"]
    assert merge_image(["a:1"], "z:9") == ["a:1", "z:9"]
    assert file_name("web", "argocd", "argocd") == ".argocd-source-web.yaml"
    assert file_name("web", "team", "argocd") == ".argocd-source-team_web.yaml"
