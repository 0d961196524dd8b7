{{/* Names, labels and the checks every template relies on. */}}

{{- define "locust-fleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* RELEASE-NAME, or the release's name alone when it already contains the chart's name. */}}
{{- define "locust-fleet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "locust-fleet.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of a part of the release: (list . "master"). Kept short enough for a Service name. */}}
{{- define "locust-fleet.part" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "locust-fleet.fullname" $root | trunc 55 | trimSuffix "-") (index . 1) -}}
{{- end -}}

{{/* Labels that select the pods of a part: (list . "worker"). */}}
{{- define "locust-fleet.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "locust-fleet.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Every label of a part's objects and pods: (list . "worker"). */}}
{{- define "locust-fleet.labels" -}}
{{ include "locust-fleet.selectorLabels" . }}
{{- $root := index . 0 }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* A value as written in the values: a whole number read from a values file (Helm makes it a float)
without the exponent that Go prints from a million on (1234567, not 1.234567e+06); anything else as is. */}}
{{- define "locust-fleet.number" -}}
{{- if and (kindIs "float64" .) (eq . (float64 (int64 .))) -}}
{{- int64 . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/* An image reference from image.master or image.worker: REPOSITORY:TAG, or with a digest in the
repository (NAME@sha256:...) NAME:TAG@sha256:..., pulled by the digest (REPOSITORY@sha256:...:TAG would
be no image reference at all, and the pod would never start). */}}
{{- define "locust-fleet.image" -}}
{{- $name := regexReplaceAll "@.*$" .repository "" -}}
{{- $digest := regexFind "@.*$" .repository -}}
{{ $name }}:{{ .tag }}{{ $digest }}
{{- end -}}

{{- define "locust-fleet.masterImage" -}}
{{ include "locust-fleet.image" .Values.image.master }}
{{- end -}}

{{- define "locust-fleet.workerImage" -}}
{{ include "locust-fleet.image" .Values.image.worker }}
{{- end -}}

{{/* Locust's worker port; fixed, as in Locust's own chart and operator. */}}
{{- define "locust-fleet.workerPort" -}}5557{{- end -}}

{{/* The base URL the workers send to: target, else the demo target's Service; "" for the scenario's host. */}}
{{- define "locust-fleet.target" -}}
{{- if .Values.target -}}
{{- .Values.target -}}
{{- else if .Values.demoTarget.enabled -}}
{{- printf "http://%s:8080" (include "locust-fleet.part" (list . "target")) -}}
{{- end -}}
{{- end -}}

{{/* Where the workers find the files of worker.targetTLS.existingSecret. */}}
{{- define "locust-fleet.targetTLSDir" -}}/etc/locust-fleet/target-tls{{- end -}}

{{/* True when the master runs a test without its web UI. */}}
{{- define "locust-fleet.headless" -}}
{{- if or .Values.master.headless .Values.master.runToCompletion }}true{{ end -}}
{{- end -}}

{{/* Where the pods of a part run, at the pod spec's level: (list . "worker" .Values.worker). A spread
constraint without a labelSelector selects the part's own pods, as the constraint is meant for them
(Kubernetes counts the pods the selector matches; with none, it counts none and spreads nothing). A
release installed before priorityClassName or topologySpreadConstraints has no such keys (upgraded with
--reuse-values), hence get. */}}
{{- define "locust-fleet.placement" -}}
{{- $root := index . 0 -}}
{{- $values := index . 2 -}}
{{- $selector := include "locust-fleet.selectorLabels" (list $root (index . 1)) | fromYaml -}}
{{- with get $values "priorityClassName" }}
priorityClassName: {{ . }}
{{- end }}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- $constraints := list -}}
{{- range get $values "topologySpreadConstraints" | default list -}}
{{- $constraint := deepCopy . -}}
{{- if not (hasKey $constraint "labelSelector") -}}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" $selector) -}}
{{- end -}}
{{- $constraints = append $constraints $constraint -}}
{{- end -}}
{{- with $constraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A part's pod securityContext: (list .Values.worker (dict "runAsUser" 65532 ...)). Its podSecurityContext
(the user and groups, each of which may be null where the platform assigns them) over non-root and the
runtime's seccomp profile, which always hold. A release installed before podSecurityContext has no such key
(upgraded with --reuse-values): the image's user, given as the default. */}}
{{- define "locust-fleet.podSecurityContext" -}}
{{- $values := index . 0 -}}
{{- $ids := ternary (get $values "podSecurityContext") (index . 1) (hasKey $values "podSecurityContext") -}}
{{- toYaml (merge (dict "runAsNonRoot" true "seccompProfile" (dict "type" "RuntimeDefault")) (deepCopy ($ids | default dict))) -}}
{{- end -}}

{{/* The workers a headless run waits for. */}}
{{- define "locust-fleet.expectWorkers" -}}
{{- if .Values.master.expectWorkers -}}
{{- int64 .Values.master.expectWorkers -}}
{{- else if .Values.worker.autoscaling.enabled -}}
{{- int64 .Values.worker.autoscaling.minReplicas -}}
{{- else -}}
{{- int64 .Values.worker.replicas -}}
{{- end -}}
{{- end -}}

{{/* The Secret that holds the InfluxDB token, "" when there is none. */}}
{{- define "locust-fleet.tokenSecret" -}}
{{- if .Values.influxdb.existingSecret -}}
{{- .Values.influxdb.existingSecret -}}
{{- else if .Values.influxdb.token -}}
{{- include "locust-fleet.part" (list . "influxdb") -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap of the scenario files, "" when the workers run none. */}}
{{- define "locust-fleet.scenarioConfigMap" -}}
{{- if .Values.worker.scenario.existingConfigMap -}}
{{- .Values.worker.scenario.existingConfigMap -}}
{{- else if .Values.worker.scenario.files -}}
{{- include "locust-fleet.part" (list . "scenario") -}}
{{- end -}}
{{- end -}}

{{/* A resource quantity of requests or limits ("500m", "2", 1.5, "256Mi", "1G", "1e9") as a plain number, in
cores or bytes. The schema has checked its form. */}}
{{- define "locust-fleet.quantity" -}}
{{- $text := include "locust-fleet.number" . -}}
{{- $suffix := regexFind "(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE])$" $text -}}
{{- $factors := dict "m" 0.001 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 -}}
{{- mulf (float64 (trimSuffix $suffix $text)) (get $factors $suffix | default 1.0) -}}
{{- end -}}

{{/* True when the workers run a scenario: from a ConfigMap, or a Secret of the user's (or both). */}}
{{- define "locust-fleet.hasScenario" -}}
{{- if or (include "locust-fleet.scenarioConfigMap" .) .Values.worker.scenario.existingSecret }}true{{ end -}}
{{- end -}}

{{/* A name that says it holds a secret: a word of it, between _ or -, is token, password, secret or
api key (access_token, DB_PASSWORD; not max_tokens, a model's limit). */}}
{{- define "locust-fleet.secretName" -}}(?i)(^|[_-])(TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY)([_-]|$){{- end -}}

{{/* Whole seconds of a Locust time span ("90", "90s", "1h30m"), as --run-time and --stop-timeout take
it; what is no time span gives 0 (the schema or the master refuses it). */}}
{{- define "locust-fleet.seconds" -}}
{{- $text := printf "%v" . -}}
{{- if regexMatch "^[0-9]+$" $text -}}
{{- atoi $text -}}
{{- else -}}
{{- $seconds := 0 -}}
{{- range $part := regexFindAll "[0-9]+[hms]" $text -1 -}}
{{- $n := atoi (regexFind "[0-9]+" $part) -}}
{{- $seconds = add $seconds (mul $n (get (dict "h" 3600 "m" 60 "s" 1) (trimPrefix (toString $n) $part))) -}}
{{- end -}}
{{- $seconds -}}
{{- end -}}
{{- end -}}

{{/* The value of one of the master's options as its extraArgs and extraEnv give it, else its default:
(list . "--drain-timeout" "LOCUST_DRAIN_TIMEOUT" "30"). As Locust reads them: the last flag wins (written
"--flag VALUE" or "--flag=VALUE"), then the variable. */}}
{{- define "locust-fleet.masterOption" -}}
{{- $m := (index . 0).Values.master -}}
{{- $flag := index . 1 -}}
{{- $value := index . 3 -}}
{{- range $e := $m.extraEnv -}}
{{- if and (eq $e.name (index $ 2)) (hasKey $e "value") -}}
{{- $value = printf "%v" $e.value -}}
{{- end -}}
{{- end -}}
{{- range $i, $arg := $m.extraArgs -}}
{{- $text := printf "%v" $arg -}}
{{- if and (eq $text $flag) (lt (add1 $i) (len $m.extraArgs)) -}}
{{- $value = printf "%v" (index $m.extraArgs (add1 $i)) -}}
{{- else if hasPrefix (printf "%s=" $flag) $text -}}
{{- $value = trimPrefix (printf "%s=" $flag) $text -}}
{{- end -}}
{{- end -}}
{{- $value -}}
{{- end -}}

{{/*
Values that cannot work, refused before anything is rendered, all of them at once: each message
names the values and says what to change. The schema has checked each value's type already.
*/}}
{{- define "locust-fleet.checks" -}}
{{- $m := .Values.master -}}
{{- $w := .Values.worker -}}
{{- $problems := list -}}
{{- range $key, $url := dict "target" .Values.target "influxdb.url" .Values.influxdb.url -}}
{{- if and $url (not (regexMatch "^https?://[^/?#\\s]+[^?#\\s]*$" $url)) -}}
{{- $problems = append $problems (printf "%s: got %q; expected an http(s) URL without query, e.g. https://api.example.com" $key $url) -}}
{{- else if $url -}}
{{- /* What the master (--influxdb-url, --host) and the worker (--target) refuse when they start. */ -}}
{{- $authority := regexReplaceAll "^https?://([^/]*).*$" $url "${1}" -}}
{{- $port := regexFind ":[0-9]*$" $authority -}}
{{- if and $port (or (eq $port ":") (lt (atoi (trimPrefix ":" $port)) 1) (gt (atoi (trimPrefix ":" $port)) 65535)) -}}
{{- $problems = append $problems (printf "%s: got %q; the port must be a number from 1 to 65535" $key $url) -}}
{{- end -}}
{{- if and (eq $key "target") (contains "@" $authority) -}}
{{- $problems = append $problems "target: credentials in the URL would be in the pod specs in clear (the master's --host, the workers' --target); leave target empty, set demoTarget.enabled: false and give the URL from a Secret as the workers' LOCUST_HOST: worker.extraEnv [{name: LOCUST_HOST, valueFrom: {secretKeyRef: {name: SECRET, key: KEY}}}] (or a scenario's host: \"{{ env.NAME }}\")" -}}
{{- end -}}
{{- if and (eq $key "influxdb.url") (contains "@" $authority) -}}
{{- $problems = append $problems "influxdb.url: credentials in the URL are refused by the master (and would be in the pod spec in clear); give a token with influxdb.existingSecret or influxdb.token" -}}
{{- else if and (eq $key "influxdb.url") (not (regexMatch "^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9.])?)$" (trimSuffix $port $authority))) -}}
{{- $problems = append $problems (printf "influxdb.url: got %q; %q is not a host name or IP address" $url (trimSuffix $port $authority)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* The master refuses these run tags at start (exit 2): keys of the data model's tags, and the
fields and time column of locust_runs, which InfluxDB 3 refuses as tags (master/locust_fleet/model.py). */ -}}
{{- $modelTags := list "check" "event" "method" "name" "run_id" "user_class" "worker" -}}
{{- $runsColumns := list "active_s" "avg_ms" "description" "duration_s" "fail_ratio" "failures" "host" "locustfile" "p50_ms" "p95_ms" "p99_ms" "peak_users" "requests" "rps" "spawn_rate" "start_time" "state" "stop_time" "tags" "thresholds" "thresholds_failed" "time" "users" -}}
{{- range $key := keys $m.runTags | sortAlpha -}}
{{- if has $key $modelTags -}}
{{- $problems = append $problems (printf "master.runTags.%s: %q is a tag of the data model; choose another key than %s" $key $key (join ", " $modelTags)) -}}
{{- else if has $key $runsColumns -}}
{{- $problems = append $problems (printf "master.runTags.%s: %q is a column of locust_runs, and InfluxDB 3 refuses a tag of the same name; choose another key than %s" $key $key (join ", " $runsColumns)) -}}
{{- end -}}
{{- if eq (printf "%v" (index $m.runTags $key)) "" -}}
{{- $problems = append $problems (printf "master.runTags.%s is empty: a run tag needs a value" $key) -}}
{{- end -}}
{{- end -}}
{{- range $part := list "master" "worker" -}}
{{- $image := index $.Values.image $part -}}
{{- $name := regexReplaceAll "@.*$" $image.repository "" -}}
{{- if regexMatch ":[^/]*$" $name -}}
{{- $problems = append $problems (printf "image.%s.repository: got %q, which holds a tag; give the repository alone and its tag in image.%s.tag" $part $image.repository $part) -}}
{{- end -}}
{{- if and (contains "@" $image.repository) (not (regexMatch "@sha256:[0-9a-f]{64}$" $image.repository)) -}}
{{- $problems = append $problems (printf "image.%s.repository: got %q; expected a digest as NAME@sha256: and 64 hex digits" $part $image.repository) -}}
{{- end -}}
{{- end -}}
{{- /* Flags whose values the chart's objects depend on (the probes, the Service's ports, the
NetworkPolicy, the workers' address): given in extraArgs, the later flag wins over the chart's and
the master is never ready or its workers never reach it. Each has a value of its own. */ -}}
{{- $masterFlags := dict
  "--headless" "set master.headless: true (or master.runToCompletion) instead: the chart would probe the web UI, which a headless master does not serve, and the master would never be ready"
  "--web-port" "the web UI listens on 8089, which the probes and the Service reach; master.webPort sets the Service's port"
  "-P" "the web UI listens on 8089, which the probes and the Service reach; master.webPort sets the Service's port"
  "--web-host" "the web UI must listen on every interface for the probes and the Service to reach it"
  "--web-base-path" "the readiness probe asks for the web UI's root, which Locust answers with 404 under a base path: the master would never be ready, and its workers never reach it; master.ingress serves the UI at its host's root"
  "--master-bind-port" "the workers, the Service and the NetworkPolicy reach the master on 5557"
  "--master-bind-host" "the master must listen on every interface for the workers to reach it through the Service"
  "--tls-cert" "set master.tls.existingSecret instead: the readiness probe would ask over HTTP and never pass"
  "--tls-key" "set master.tls.existingSecret instead: the readiness probe would ask over HTTP and never pass"
  "--worker" "the master image would run the Go worker instead of the master"
  "-f" "the master image's locustfile holds the plugin and the Go workers' user class; the workers' scenario is worker.scenario"
  "--locustfile" "the master image's locustfile holds the plugin and the Go workers' user class; the workers' scenario is worker.scenario" -}}
{{- $targetFlag := "set target instead, which gives the master --host and the workers --target: given here, the later flag wins, and the master and the workers would name different hosts" -}}
{{- $workerFlags := dict
  "--master-host" "the chart points the workers at this release's master"
  "--master-port" "the chart points the workers at this release's master"
  "--target" $targetFlag "--host" $targetFlag "-H" $targetFlag -}}
{{- $_ := set $masterFlags "--host" $targetFlag -}}
{{- $_ := set $masterFlags "-H" $targetFlag -}}
{{- range $part, $flags := dict "master" $masterFlags "worker" $workerFlags -}}
{{- range $arg := (index $.Values $part).extraArgs -}}
{{- $text := printf "%v" $arg -}}
{{- range $flag := keys $flags | sortAlpha -}}
{{- if or (eq $text $flag) (hasPrefix (printf "%s=" $flag) $text) (and (eq (len $flag) 2) (hasPrefix $flag $text)) -}}
{{- $problems = append $problems (printf "%s.extraArgs: %q is set by the chart: %s" $part $text (index $flags $flag)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* Files the master writes where it is told: a relative path is in its working directory,
/var/lib/locust-fleet, on the read-only root file system, and the write fails. */ -}}
{{- $fileFlags := list "--csv" "--html" "--json-file" "--junit-xml" "--logfile" -}}
{{- $fileVars := dict "LOCUST_CSV" "--csv" "LOCUST_HTML" "--html" "LOCUST_JUNIT_XML" "--junit-xml" "LOCUST_LOGFILE" "--logfile" -}}
{{- $files := list -}}
{{- range $i, $arg := $m.extraArgs -}}
{{- $text := printf "%v" $arg -}}
{{- range $flag := $fileFlags -}}
{{- if and (eq $text $flag) (lt (add1 $i) (len $m.extraArgs)) -}}
{{- $files = append $files (list $flag (printf "%v" (index $m.extraArgs (add1 $i)))) -}}
{{- else if hasPrefix (printf "%s=" $flag) $text -}}
{{- $files = append $files (list $flag (trimPrefix (printf "%s=" $flag) $text)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $e := $m.extraEnv -}}
{{- if and (hasKey $fileVars $e.name) $e.value -}}
{{- $files = append $files (list $e.name $e.value) -}}
{{- end -}}
{{- end -}}
{{- range $file := $files -}}
{{- if not (hasPrefix "/" (index $file 1)) -}}
{{- $problems = append $problems (printf "master.extra%s: %s %s is a relative path, in the master's working directory /var/lib/locust-fleet, which is on the read-only root file system; give a path under /tmp (64 MiB, gone with the pod), e.g. /tmp/%s" (ternary "Args" "Env" (hasPrefix "-" (index $file 0))) (index $file 0) (index $file 1) (index $file 1)) -}}
{{- end -}}
{{- end -}}
{{- /* The same in extraEnv, and the variables of the values the chart turns into flags or variables
itself: a flag wins over its variable (Locust's and the Go worker's rule), so a LOCUST_HOST there was
ignored without a word and the workers loaded the demo target; the others break what the chart's
objects rely on as their flags do, or bypass the checks of their values. */ -}}
{{- $headless := include "locust-fleet.headless" . -}}
{{- $masterVars := dict
  "LOCUST_HEADLESS" (index $masterFlags "--headless")
  "LOCUST_WEB_PORT" (index $masterFlags "--web-port")
  "LOCUST_WEB_HOST" (index $masterFlags "--web-host")
  "LOCUST_WEB_BASE_PATH" (index $masterFlags "--web-base-path")
  "LOCUST_MASTER_BIND_PORT" (index $masterFlags "--master-bind-port")
  "LOCUST_MASTER_BIND_HOST" "the master image's entrypoint gives --master-bind-host 0.0.0.0, which wins: it would be ignored"
  "LOCUST_TLS_CERT" (index $masterFlags "--tls-cert")
  "LOCUST_TLS_KEY" (index $masterFlags "--tls-key")
  "LOCUST_MODE_WORKER" (index $masterFlags "--worker")
  "LOCUST_LOCUSTFILE" "the master image's entrypoint gives -f, which wins: it would be ignored; the workers' scenario is worker.scenario"
  "LOCUST_INFLUXDB_URL" "set influxdb.url instead (the chart checks it and gives the master the time to write to it)"
  "LOCUST_INFLUXDB_DATABASE" "set influxdb.database instead"
  "LOCUST_INFLUXDB_TOKEN" "set influxdb.existingSecret (and influxdb.tokenKey) instead"
  "LOCUST_INFLUXDB_USERNAME" "set influxdb.username instead"
  "LOCUST_INFLUXDB_PASSWORD" "set influxdb.existingSecret (and influxdb.passwordKey) instead"
  "LOCUST_INFLUXDB_SERVER" "set influxdb.server instead"
  "LOCUST_INFLUXDB_CA_FILE" "set influxdb.caConfigMap instead"
  "LOCUST_SPOOL_DIR" "the chart mounts the spool's volume there; its size is master.spoolSize" -}}
{{- if $headless -}}
{{- $_ := set $masterVars "LOCUST_USERS" "the chart gives a headless master --users, which wins; set master.users instead" -}}
{{- $_ := set $masterVars "LOCUST_SPAWN_RATE" "the chart gives a headless master --spawn-rate, which wins; set master.spawnRate instead" -}}
{{- $_ := set $masterVars "LOCUST_RUN_TIME" "set master.runTime instead (with master.runToCompletion: a headless Deployment would start the run again after each)" -}}
{{- $_ := set $masterVars "LOCUST_EXPECT_WORKERS" "the chart gives a headless master --expect-workers, which wins; set master.expectWorkers instead" -}}
{{- $_ := set $masterVars "LOCUST_EXPECT_WORKERS_MAX_WAIT" "the chart gives a headless master --expect-workers-max-wait, which wins; set master.expectWorkersMaxWait instead" -}}
{{- end -}}
{{- $workerVars := dict
  "LOCUST_MASTER_NODE_HOST" "the chart gives the workers --master-host, which wins: it would be ignored"
  "LOCUST_MASTER_NODE_PORT" "the chart gives the workers --master-port, which wins: it would be ignored" -}}
{{- /* With target (or the demo target) the chart gives --host and --target, which win over LOCUST_HOST;
without, LOCUST_HOST is how a URL with credentials reaches the workers from a Secret. */ -}}
{{- if include "locust-fleet.target" . -}}
{{- $_ := set $masterVars "LOCUST_HOST" "the chart gives the master --host and the workers --target from target, and a flag wins over its variable; set target instead" -}}
{{- $_ := set $workerVars "LOCUST_HOST" "the chart gives the workers --target from target (the demo target's when it is empty), and a flag wins over its variable: it would be ignored; set target instead" -}}
{{- end -}}
{{- range $part, $vars := dict "master" $masterVars "worker" $workerVars -}}
{{- range $e := (index $.Values $part).extraEnv -}}
{{- if and $e.value (hasKey $e "valueFrom") -}}
{{- $problems = append $problems (printf "%s.extraEnv: %s has both value and valueFrom, which the API server refuses; keep one" $part $e.name) -}}
{{- end -}}
{{- if hasKey $vars $e.name -}}
{{- $problems = append $problems (printf "%s.extraEnv: %s is the chart's to set: %s" $part $e.name (index $vars $e.name)) -}}
{{- else if and (kindIs "string" $e.value) (regexMatch "^[A-Za-z][-+.A-Za-z0-9]*://[^/?#@[:space:]]+@" $e.value) -}}
{{- $problems = append $problems (printf "%s.extraEnv: %s holds a URL with credentials, which puts them in the pod spec in clear; give it from a Secret: {name: %s, valueFrom: {secretKeyRef: {name: SECRET, key: KEY}}}" $part $e.name $e.name) -}}
{{- else if and (regexMatch (include "locust-fleet.secretName" .) $e.name) (hasKey $e "value") -}}
{{- /* The value stays out of the message: it is a secret. */ -}}
{{- $problems = append $problems (printf "%s.extraEnv: %s is given as a value, which puts a secret in the pod spec in clear (kubectl get -o yaml shows it to whoever may read the workload); give it from a Secret: {name: %s, valueFrom: {secretKeyRef: {name: SECRET, key: KEY}}}" $part $e.name $e.name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* Annotation keys as the API server takes them: an optional DNS subdomain prefix and "/", then a name of
at most 63 letters, digits, -, _ and . that starts and ends with a letter or digit. */ -}}
{{- range $part := list "master" "worker" -}}
{{- range $key := keys ((index $.Values $part).podAnnotations | default dict) | sortAlpha -}}
{{- if not (regexMatch "^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$" $key) -}}
{{- $problems = append $problems (printf "%s.podAnnotations: %q is no annotation key, which the API server would refuse; expected [PREFIX/]NAME, NAME at most 63 letters, digits, -, _ and . starting and ending with a letter or digit, PREFIX a DNS subdomain (e.g. sidecar.istio.io/inject)" $part $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $mostWorkers := ternary $w.autoscaling.maxReplicas $w.replicas (and $w.autoscaling.enabled (not $m.runToCompletion)) -}}
{{- if and (or $m.headless $m.runToCompletion) (gt (int $m.expectWorkers) (int $mostWorkers)) -}}
{{- $problems = append $problems (printf "master.expectWorkers (%v) is above the workers there can be (%s, %v): the headless master would wait master.expectWorkersMaxWait (%v s) for workers that never come, then exit 1; lower it, or 0 for the workers' replicas" $m.expectWorkers (ternary "worker.autoscaling.maxReplicas" "worker.replicas" (and $w.autoscaling.enabled (not $m.runToCompletion))) $mostWorkers $m.expectWorkersMaxWait) -}}
{{- end -}}
{{- if and $m.runToCompletion (not $m.runTime) -}}
{{- $problems = append $problems "master.runToCompletion is true but master.runTime is empty: the run would never end; set master.runTime, e.g. 5m" -}}
{{- end -}}
{{- /* activeDeadlineSeconds counts from the Job's start: the wait for the workers, the run, the drain.
One not above the run time stops the master mid-run (the Job Failed, DeadlineExceeded), every time. */ -}}
{{- if and $m.runToCompletion $m.runTime $m.job.activeDeadlineSeconds -}}
{{- $runSeconds := include "locust-fleet.seconds" $m.runTime | atoi -}}
{{- if le (int64 $m.job.activeDeadlineSeconds) (int64 $runSeconds) -}}
{{- $problems = append $problems (printf "master.job.activeDeadlineSeconds (%v s) is not above master.runTime (%s, %v s): the Job would be stopped before the run ends, every time; it counts from the Job's start, so allow for master.expectWorkersMaxWait (%v s) and the drain too" (include "locust-fleet.number" $m.job.activeDeadlineSeconds) $m.runTime $runSeconds $m.expectWorkersMaxWait) -}}
{{- end -}}
{{- end -}}
{{- if and $m.headless (not $m.runToCompletion) $m.runTime -}}
{{- $problems = append $problems (printf "master.runTime is %q with master.headless and not master.runToCompletion: the Deployment would restart the master after each run and start another; set master.runToCompletion: true (a Job) or leave master.runTime empty (run until stopped)" $m.runTime) -}}
{{- end -}}
{{- if and $m.tls.existingSecret (or $m.headless $m.runToCompletion) -}}
{{- $problems = append $problems "master.tls.existingSecret with a headless master (master.headless or master.runToCompletion): it serves no web UI to put HTTPS on; leave master.tls.existingSecret empty" -}}
{{- end -}}
{{- /* The API server refuses a pod whose request is above its limit ("must be less than or equal to cpu
limit"), at apply time: a request raised without its limit. */ -}}
{{- range $part, $resources := dict "master" $m.resources "worker" $w.resources "demoTarget" .Values.demoTarget.resources -}}
{{- $requests := $resources.requests | default dict -}}
{{- $limits := $resources.limits | default dict -}}
{{- range $name := keys $requests | sortAlpha -}}
{{- if and (hasKey $limits $name) (gt (include "locust-fleet.quantity" (index $requests $name) | float64) (include "locust-fleet.quantity" (index $limits $name) | float64)) -}}
{{- $problems = append $problems (printf "%s.resources.requests.%s (%s) is above %s.resources.limits.%s (%s), which the API server refuses; raise the limit too, or lower the request" $part $name (include "locust-fleet.number" (index $requests $name)) $part $name (include "locust-fleet.number" (index $limits $name))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* The spool's volume: Kubernetes evicts the master, mid-test, when an emptyDir passes its sizeLimit.
The master keeps up to 512 MiB of points there while InfluxDB is unreachable (spool.Spool's max_bytes;
it drops the oldest beyond), plus the batch being written and the points InfluxDB refused. */ -}}
{{- if and .Values.influxdb.url (lt (include "locust-fleet.quantity" $m.spoolSize | float64) 603979776.0) -}}
{{- $problems = append $problems (printf "master.spoolSize: got %s; expected at least 576Mi: the master keeps up to 512 MiB of points in its spool while InfluxDB is unreachable, and Kubernetes evicts the master, mid-test, when the spool's volume passes its size limit" (include "locust-fleet.number" $m.spoolSize)) -}}
{{- end -}}
{{- $ingress := $m.ingress | default dict -}}
{{- if and $ingress.enabled (or $m.headless $m.runToCompletion) -}}
{{- $problems = append $problems "master.ingress.enabled with a headless master (master.headless or master.runToCompletion): it serves no web UI to route to; turn one of them off" -}}
{{- end -}}
{{- $ingressCert := ($ingress.tls | default dict).secretName -}}
{{- if and $ingress.enabled (not $ingress.host) $ingressCert -}}
{{- $problems = append $problems (printf "master.ingress.tls.secretName is %q but master.ingress.host is empty: a certificate serves the host it names; set master.ingress.host" $ingressCert) -}}
{{- end -}}
{{- if and $m.runToCompletion $w.autoscaling.enabled -}}
{{- $problems = append $problems "worker.autoscaling.enabled with master.runToCompletion: the workers of a run to completion are a Job, which a HorizontalPodAutoscaler cannot scale; turn one of them off" -}}
{{- end -}}
{{- if and $w.autoscaling.enabled (not $m.runToCompletion) (not $m.enableRebalancing) -}}
{{- $problems = append $problems "worker.autoscaling.enabled with master.enableRebalancing false: a worker the autoscaler adds gets no users until the next test starts (its CPU stays idle while the others' stays high, so it adds more), and the users of one it removes are not handed to the others; set master.enableRebalancing: true (Locust's --enable-rebalancing)" -}}
{{- end -}}
{{- if and $w.autoscaling.enabled (not $w.autoscaling.external) (not ($w.resources.requests | default dict).cpu) -}}
{{- $problems = append $problems "worker.autoscaling.enabled but worker.resources.requests.cpu is not set: the autoscaler measures CPU use as a share of it" -}}
{{- end -}}
{{- if and $w.autoscaling.enabled (gt (int $w.autoscaling.minReplicas) (int $w.autoscaling.maxReplicas)) -}}
{{- $problems = append $problems (printf "worker.autoscaling.minReplicas (%v) is above worker.autoscaling.maxReplicas (%v)" $w.autoscaling.minReplicas $w.autoscaling.maxReplicas) -}}
{{- end -}}
{{- $influx := .Values.influxdb -}}
{{- if and $influx.username $influx.token -}}
{{- $problems = append $problems "influxdb.username and influxdb.token are both set: the master takes a token or a user, not both; a 1.x user's password goes in influxdb.existingSecret (key influxdb.passwordKey)" -}}
{{- else if and $influx.username (not $influx.existingSecret) -}}
{{- $problems = append $problems (printf "influxdb.username is %q but influxdb.existingSecret is empty: the user's password comes from that Secret (key influxdb.passwordKey, %q)" $influx.username $influx.passwordKey) -}}
{{- end -}}
{{- if and (or $influx.username (ne (printf "%v" $influx.server) "auto") $influx.caConfigMap) (not $influx.url) -}}
{{- $problems = append $problems "influxdb.username, influxdb.server or influxdb.caConfigMap is set but influxdb.url is empty: the master exports nothing without influxdb.url" -}}
{{- end -}}
{{- if and $influx.caConfigMap (hasPrefix "http://" $influx.url) -}}
{{- $problems = append $problems (printf "influxdb.caConfigMap is set but influxdb.url is %q: a CA only serves an https:// URL" $influx.url) -}}
{{- end -}}
{{- if and .Values.influxdb.token .Values.influxdb.existingSecret -}}
{{- $problems = append $problems "influxdb.token and influxdb.existingSecret are both set: give the token one way; influxdb.existingSecret keeps it out of the values" -}}
{{- end -}}
{{- if and (or .Values.influxdb.token .Values.influxdb.existingSecret) (not .Values.influxdb.url) -}}
{{- $problems = append $problems "influxdb.url is empty but a token is given: the master exports nothing without influxdb.url" -}}
{{- end -}}
{{- if and $w.scenario.files $w.scenario.existingConfigMap -}}
{{- $problems = append $problems "worker.scenario.files and worker.scenario.existingConfigMap are both set: give the scenario one way" -}}
{{- end -}}
{{- if and $w.scenario.files (not (hasKey $w.scenario.files $w.scenario.file)) -}}
{{- $problems = append $problems (printf "worker.scenario.file is %q, which is not one of worker.scenario.files (%s)" $w.scenario.file (keys $w.scenario.files | sortAlpha | join ", ")) -}}
{{- end -}}
{{- /* A ConfigMap's keys are file names, without directories (Kubernetes: [-._a-zA-Z0-9]+); the
scenario is mounted from one, so worker.scenario.file is such a key too. */ -}}
{{- range $key := keys $w.scenario.files | sortAlpha -}}
{{- if not (regexMatch "^[-._a-zA-Z0-9]+$" $key) -}}
{{- $problems = append $problems (printf "worker.scenario.files: %q is no ConfigMap key (letters, digits, -, _ and . only: a ConfigMap holds no directories); name it %q and refer to it by that name" $key (regexReplaceAll "[^-._a-zA-Z0-9]" (base $key) "_")) -}}
{{- end -}}
{{- end -}}
{{- /* Kubernetes refuses a ConfigMap whose data come to more than 1 MiB (the sum of its values' bytes:
validation.ValidateConfigMap, MaxSecretSize), at apply time and in words that name no file. */ -}}
{{- if not $w.scenario.existingConfigMap -}}
{{- $bytes := 0 -}}
{{- $sizes := list -}}
{{- range $key := keys $w.scenario.files | sortAlpha -}}
{{- $n := len (printf "%v" (index $w.scenario.files $key)) -}}
{{- $bytes = add $bytes $n -}}
{{- $sizes = append $sizes (printf "%s %d bytes" $key $n) -}}
{{- end -}}
{{- if gt $bytes 1048576 -}}
{{- $problems = append $problems (printf "worker.scenario.files: %d bytes in all (%s), above the 1048576 bytes (1 MiB) Kubernetes allows in a ConfigMap, which would be refused when applied; keep the scenario here and give the large data files another way: fewer rows, or an image of your own built FROM the worker image with the files copied in and their absolute paths in the scenario's data (csv: /data/users.csv). A ConfigMap of your own (worker.scenario.existingConfigMap) has the same limit" $bytes (join ", " $sizes)) -}}
{{- end -}}
{{- end -}}
{{- /* A ConfigMap is no place for a secret: whoever may read ConfigMaps reads it, and it is not encrypted at
rest where Secrets are. A scenario's tls.client_key is the one a scenario names. */ -}}
{{- range $key := keys $w.scenario.files | sortAlpha -}}
{{- if regexMatch "-----BEGIN [A-Z ]*PRIVATE KEY-----" (printf "%v" (index $w.scenario.files $key)) -}}
{{- $problems = append $problems (printf "worker.scenario.files: %q holds a private key, which a ConfigMap keeps in clear; put it in a Secret of yours and give it with worker.targetTLS.existingSecret (and its keys), then name %s/client.key in the scenario's tls.client_key" $key (include "locust-fleet.targetTLSDir" $)) -}}
{{- end -}}
{{- end -}}
{{- /* The same for a data file's column of passwords or tokens (a scenario's accounts.csv: user,password). */ -}}
{{- range $key := keys $w.scenario.files | sortAlpha -}}
{{- if hasSuffix ".csv" (lower $key) -}}
{{- $header := regexSplit "\r?\n" (printf "%v" (index $w.scenario.files $key)) 2 | first -}}
{{- range $column := regexSplit "," $header -1 -}}
{{- if regexMatch (include "locust-fleet.secretName" .) (trim (trimAll `"` $column)) -}}
{{- $problems = append $problems (printf "worker.scenario.files: %q has a column %q, which a ConfigMap keeps in clear; put the file in a Secret of yours (kubectl create secret generic NAME --from-file=%s) and name it in worker.scenario.existingSecret: its files are mounted next to the scenario" $key (trim (trimAll `"` $column)) $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* The same for a credential written into the scenario itself: an Authorization header or a basic
auth password without a template, at the scenario's or a task's level. A template takes it from the
worker's environment, which takes it from a Secret. */ -}}
{{- if and $w.scenario.files (not $w.scenario.existingConfigMap) -}}
{{- $doc := fromYaml (printf "%v" (index $w.scenario.files $w.scenario.file | default "")) -}}
{{- $levels := list (list "" $doc) -}}
{{- $tasks := get $doc "tasks" -}}
{{- if kindIs "slice" $tasks -}}
{{- range $i, $task := $tasks -}}
{{- if kindIs "map" $task -}}{{- $levels = append $levels (list (printf "tasks[%d]." $i) $task) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- range $level := $levels -}}
{{- $node := index $level 1 -}}
{{- $written := list -}}
{{- $headers := get $node "headers" -}}
{{- if kindIs "map" $headers -}}
{{- range $name, $value := $headers -}}
{{- if and (eq (lower $name) "authorization") (kindIs "string" $value) (not (contains "{{" $value)) -}}
{{- $written = append $written (printf "headers.%s" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $auth := get $node "auth" -}}
{{- if kindIs "map" $auth -}}
{{- $basic := get $auth "basic" -}}
{{- if and (kindIs "map" $basic) (kindIs "string" (get $basic "password")) (not (contains "{{" (get $basic "password"))) -}}
{{- $written = append $written "auth.basic.password" -}}
{{- end -}}
{{- end -}}
{{- range $field := $written -}}
{{- $problems = append $problems (printf `worker.scenario.files: %s: %s%s is written in the scenario, which a ConfigMap keeps in clear; write it as a template of the worker's environment ("Bearer {{ env.API_TOKEN }}", password: "{{ env.API_PASSWORD }}") and give the variable from a Secret in worker.extraEnv: {name: API_TOKEN, valueFrom: {secretKeyRef: {name: SECRET, key: KEY}}}` $w.scenario.file (index $level 0) $field) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $tls := $w.targetTLS | default dict -}}
{{- $tlsDir := include "locust-fleet.targetTLSDir" . -}}
{{- if $tls.existingSecret -}}
{{- if and (not $tls.caKey) (not $tls.clientCertKey) -}}
{{- $problems = append $problems "worker.targetTLS.existingSecret is set but worker.targetTLS.caKey and worker.targetTLS.clientCertKey are empty: nothing of it would be used; name the key of the CA bundle or of the client certificate" -}}
{{- end -}}
{{- if not (include "locust-fleet.hasScenario" .) -}}
{{- $workerTarget := include "locust-fleet.target" . -}}
{{- if not (hasPrefix "https://" $workerTarget) -}}
{{- $problems = append $problems (printf "worker.targetTLS.existingSecret is set but the workers' target is %q: TLS settings only serve an https:// target (the worker refuses them with an http one, exit 2); set target to the https URL" $workerTarget) -}}
{{- end -}}
{{- else if and $w.scenario.files (not $w.scenario.existingConfigMap) -}}
{{- /* The scenario names the mounted files in its tls:, the only way it gets them. */ -}}
{{- $scenarioTLS := get (fromYaml (printf "%v" (index $w.scenario.files $w.scenario.file | default ""))) "tls" | default dict -}}
{{- if not (kindIs "map" $scenarioTLS) -}}{{- $scenarioTLS = dict -}}{{- end -}}
{{- $used := false -}}
{{- range $field, $file := dict "ca_file" "ca.crt" "client_cert" "client.crt" "client_key" "client.key" -}}
{{- if eq (printf "%v" (get $scenarioTLS $field)) (printf "%s/%s" $tlsDir $file) -}}
{{- $used = true -}}
{{- end -}}
{{- end -}}
{{- if not $used -}}
{{- $problems = append $problems (printf "worker.targetTLS.existingSecret is mounted at %s, but the scenario %s names none of its files in its tls: (ca_file: %s/ca.crt, client_cert: %s/client.crt, client_key: %s/client.key), so the workers would not use it" $tlsDir $w.scenario.file $tlsDir $tlsDir $tlsDir) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* The worker's --tls-* flags serve an https --target without a scenario; otherwise it refuses them at
start (exit 2), and a Deployment's workers restart in a loop. */ -}}
{{- range $arg := $w.extraArgs -}}
{{- $flag := regexReplaceAll "=.*$" (printf "%v" $arg) "" -}}
{{- if has $flag (list "--tls-ca-file" "--tls-client-cert" "--tls-client-key" "--tls-server-name" "--tls-insecure-skip-verify") -}}
{{- if include "locust-fleet.hasScenario" $ -}}
{{- $problems = append $problems (printf "worker.extraArgs: %s goes with no scenario: the worker refuses it beside one (exit 2); the scenario says it in its tls:" $flag) -}}
{{- else if $tls.existingSecret -}}
{{- $problems = append $problems (printf "worker.extraArgs: %s is set by the chart from worker.targetTLS" $flag) -}}
{{- else if not (hasPrefix "https://" (include "locust-fleet.target" $)) -}}
{{- $problems = append $problems (printf "worker.extraArgs: %s goes with an https:// target; the workers' target is %q, and the worker refuses it (exit 2)" $flag (include "locust-fleet.target" $)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $tls.clientCertKey (not $tls.clientKeyKey) -}}
{{- $problems = append $problems (printf "worker.targetTLS.clientCertKey is %q but worker.targetTLS.clientKeyKey is empty: a client certificate goes with its private key" $tls.clientCertKey) -}}
{{- else if and $tls.clientKeyKey (not $tls.clientCertKey) -}}
{{- $problems = append $problems (printf "worker.targetTLS.clientKeyKey is %q but worker.targetTLS.clientCertKey is empty: a private key goes with its client certificate" $tls.clientKeyKey) -}}
{{- end -}}
{{- if and (not $w.scenario.files) (not (regexMatch "^[-._a-zA-Z0-9]+$" $w.scenario.file)) -}}
{{- $problems = append $problems (printf "worker.scenario.file: got %q; expected the key of the scenario in its ConfigMap (letters, digits, -, _ and . only), e.g. %q" $w.scenario.file (regexReplaceAll "[^-._a-zA-Z0-9]" (base $w.scenario.file) "_")) -}}
{{- end -}}
{{- /* Every object is named after the release: a Service's name must be a DNS label that starts with
a letter (RFC 1035), which a release named by a build number ("48213") or with a dot is not. */ -}}
{{- $fullname := include "locust-fleet.fullname" . -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $fullname) -}}
{{- $suggested := regexReplaceAll "[^-a-z0-9]" (lower $fullname) "-" -}}
{{- $suggested = ternary $suggested (printf "perf-%s" $suggested) (regexMatch "^[a-z]" $suggested) -}}
{{- $from := ternary "fullnameOverride" (ternary "nameOverride" (printf "the release name %q" .Release.Name) (ne .Values.nameOverride "")) (ne .Values.fullnameOverride "") -}}
{{- $problems = append $problems (printf "the objects would be named %q (from %s), which is no Service name (lower-case letters, digits and -, starting with a letter); choose another release name or set fullnameOverride, e.g. %q" $fullname $from $suggested) -}}
{{- end -}}
{{- /* What the master refuses at start for InfluxDB 3 (influx_client.database_name_problem, from
influxdb3_server/src/http.rs, validate_db_name); with influxdb.server auto it is refused once /ping says 3. */ -}}
{{- if and (eq (printf "%v" $influx.server) "3") (or (gt (len $influx.database) 64) (not (regexMatch "^[A-Za-z0-9][A-Za-z0-9_-]*(/[A-Za-z0-9_-]+)?$" $influx.database))) -}}
{{- $problems = append $problems (printf "influxdb.database: got %q, which InfluxDB 3 (influxdb.server) refuses as a database name; expected at most 64 ASCII letters, digits, _ and -, starting with a letter or digit, with at most one / between two such parts" $influx.database) -}}
{{- end -}}
{{- /* And for InfluxDB 1.x (influx_client.database_name_problem, from 1.x's services/meta/data.go, validName):
printable characters (no control, format or separator character but the space), neither / nor a backslash,
other than . and ..; a DATABASE/RETENTION_POLICY name (locust/autogen) is 3's: the master stopped at start. */ -}}
{{- if and (eq (printf "%v" $influx.server) "1") (or (has $influx.database (list "." "..")) (regexMatch "[/\\\\\\p{C}]|[^\\P{Z} ]" $influx.database)) -}}
{{- $problems = append $problems (printf "influxdb.database: got %q, which InfluxDB 1.x (influxdb.server) refuses as a database name; expected printable characters without / or \\, other than . and .. (1.x has no DATABASE/RETENTION_POLICY names: the master writes to the database's default retention policy)" $influx.database) -}}
{{- end -}}
{{- $workerHost := false -}}
{{- range $e := $w.extraEnv -}}{{- if eq $e.name "LOCUST_HOST" -}}{{- $workerHost = true -}}{{- end -}}{{- end -}}
{{- /* A ConfigMap or Secret of worker.envFrom may hold LOCUST_HOST; the chart cannot read it, and a worker
without one says so at start (exit 2: "--target: missing"). */ -}}
{{- if get $w "envFrom" -}}{{- $workerHost = true -}}{{- end -}}
{{- if and (not (include "locust-fleet.target" .)) (not (include "locust-fleet.hasScenario" .)) (not $workerHost) -}}
{{- $problems = append $problems "target is empty, demoTarget.enabled is false and the workers have no scenario: they would have nowhere to send; set target (or give the workers LOCUST_HOST in worker.extraEnv or worker.envFrom)" -}}
{{- end -}}
{{- /* Kubernetes kills a pod this many seconds after its SIGTERM. A worker stops its users, each finishing
the request in hand (a scenario's timeout, 10 s unless it says otherwise) and its on_stop steps (at most
10 s), then waits for the report that shows their last requests counted (0.1 s + at most 7 s) and hands
its quit to the master (at most 3 s): workers-go/lifecycle (users.go, lifecycle.go) and user/runtime.go.
Killed earlier, the requests since its last report are never counted. */ -}}
{{- $scenarioText := "" -}}
{{- if and $w.scenario.files (not $w.scenario.existingConfigMap) -}}
{{- $scenarioText = index $w.scenario.files $w.scenario.file | default "" -}}
{{- end -}}
{{- $onStop := hasKey (fromYaml (printf "%v" $scenarioText)) "on_stop" -}}
{{- $workerNeeds := add 21 (ternary 10 0 $onStop) -}}
{{- if lt (int64 $w.terminationGracePeriodSeconds) (int64 $workerNeeds) -}}
{{- $problems = append $problems (printf "worker.terminationGracePeriodSeconds: got %v; expected at least %v: a stopping worker finishes its users' requests in hand (up to 10 s, the scenario's default timeout)%s, waits for the report of their last requests (up to 7.1 s) and tells the master it quits (up to 3 s); killed before, the requests since its last report are never counted. A scenario with longer timeouts needs that much more" (include "locust-fleet.number" $w.terminationGracePeriodSeconds) $workerNeeds (ternary " and their on_stop steps (up to 10 s)" "" $onStop)) -}}
{{- end -}}
{{- /* A stopping master drains its workers (--drain-timeout, plus --stop-timeout), then writes what it
holds to InfluxDB (at most 15 s: export_service.FINAL_FLUSH_TIMEOUT) and the rest to its spool, which
is gone with the pod. */ -}}
{{- $drain := include "locust-fleet.masterOption" (list . "--drain-timeout" "LOCUST_DRAIN_TIMEOUT" "30") -}}
{{- $stop := include "locust-fleet.masterOption" (list . "--stop-timeout" "LOCUST_STOP_TIMEOUT" "0") -}}
{{- $stopSeconds := include "locust-fleet.seconds" $stop | atoi -}}
{{- $masterNeeds := add (ceil (float64 $drain)) $stopSeconds (ternary 15 0 (ne .Values.influxdb.url "")) 1 -}}
{{- if lt (int64 $m.terminationGracePeriodSeconds) (int64 $masterNeeds) -}}
{{- $problems = append $problems (printf "master.terminationGracePeriodSeconds: got %v; expected at least %v: a stopping master waits for its workers' last reports (--drain-timeout %s s, plus --stop-timeout %v s)%s and exits (1 s); killed before, the run's last seconds%s are lost. Raise it, or lower --drain-timeout in master.extraArgs" (include "locust-fleet.number" $m.terminationGracePeriodSeconds) $masterNeeds $drain $stopSeconds (ternary ", then writes the run to InfluxDB (up to 15 s)" "" (ne .Values.influxdb.url "")) (ternary " and its run record" "" (ne .Values.influxdb.url ""))) -}}
{{- end -}}
{{- /* The pod settings a team adds to the chart's, as the API server would refuse them (at apply time, or a
pod that is never created), and what would undo the chart's own: a label its selectors use, a volume or
a mount path it has. A release installed before these keys has none of them (--reuse-values): get. */ -}}
{{- $chartVolumes := dict "master" (list "spool" "tmp" "tls" "influxdb-ca") "worker" (list "scenario" "target-tls") -}}
{{- $chartMounts := dict "master" (list "/var/lib/locust-fleet/spool" "/tmp" "/etc/locust-fleet/tls" "/etc/locust-fleet/influxdb-ca") "worker" (list "/etc/locust-fleet/scenario" $tlsDir) -}}
{{- $chartLabels := list "app.kubernetes.io/name" "app.kubernetes.io/instance" "app.kubernetes.io/component" "app.kubernetes.io/version" "app.kubernetes.io/managed-by" "helm.sh/chart" -}}
{{- range $part := list "master" "worker" -}}
{{- $v := index $.Values $part -}}
{{- $labels := get $v "podLabels" | default dict -}}
{{- range $key := keys $labels | sortAlpha -}}
{{- $value := index $labels $key -}}
{{- if has $key $chartLabels -}}
{{- $problems = append $problems (printf "%s.podLabels: %q is the chart's label (%s), which its selectors and Services find the pods by; choose another key" $part $key (join ", " $chartLabels)) -}}
{{- else if not (regexMatch "^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$" $key) -}}
{{- $problems = append $problems (printf "%s.podLabels: %q is no label key, which the API server would refuse; expected [PREFIX/]NAME, NAME at most 63 letters, digits, -, _ and . starting and ending with a letter or digit, PREFIX a DNS subdomain (e.g. example.com/team)" $part $key) -}}
{{- end -}}
{{- if not (regexMatch "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$" $value) -}}
{{- $problems = append $problems (printf "%s.podLabels.%s: got %q, which the API server would refuse as a label value; expected at most 63 letters, digits, -, _ and . starting and ending with a letter or digit (or empty)" $part $key $value) -}}
{{- end -}}
{{- end -}}
{{- range $i, $source := get $v "envFrom" | default list -}}
{{- if eq (len (pick $source "configMapRef" "secretRef")) 2 -}}
{{- $problems = append $problems (printf "%s.envFrom[%d]: both configMapRef and secretRef, which the API server refuses; give each in an entry of its own" $part $i) -}}
{{- else if not (or $source.configMapRef $source.secretRef) -}}
{{- $problems = append $problems (printf "%s.envFrom[%d]: neither configMapRef nor secretRef; expected {configMapRef: {name: NAME}} or {secretRef: {name: NAME}}, with an optional prefix" $part $i) -}}
{{- end -}}
{{- end -}}
{{- $volumes := list -}}
{{- range $i, $volume := get $v "extraVolumes" | default list -}}
{{- $sources := keys (omit $volume "name") | sortAlpha -}}
{{- if has $volume.name (index $chartVolumes $part) -}}
{{- $problems = append $problems (printf "%s.extraVolumes[%d]: the name %q is the chart's own volume's (%s); choose another" $part $i $volume.name (join ", " (index $chartVolumes $part))) -}}
{{- else if has $volume.name $volumes -}}
{{- $problems = append $problems (printf "%s.extraVolumes[%d]: the name %q is given twice, which the API server refuses" $part $i $volume.name) -}}
{{- end -}}
{{- if ne (len $sources) 1 -}}
{{- $problems = append $problems (printf "%s.extraVolumes[%d] (%s): %s; expected exactly one volume source, e.g. persistentVolumeClaim: {claimName: NAME}" $part $i $volume.name (ternary "no volume source" (printf "several volume sources (%s)" (join ", " $sources)) (eq (len $sources) 0))) -}}
{{- end -}}
{{- $volumes = append $volumes $volume.name -}}
{{- end -}}
{{- $paths := list -}}
{{- range $i, $mount := get $v "extraVolumeMounts" | default list -}}
{{- $path := trimSuffix "/" $mount.mountPath | default "/" -}}
{{- if has $mount.name (index $chartVolumes $part) -}}
{{- $problems = append $problems (printf "%s.extraVolumeMounts[%d]: volume %q is the chart's own, which it mounts where it needs it; mount a volume of %s.extraVolumes" $part $i $mount.name $part) -}}
{{- else if not (has $mount.name $volumes) -}}
{{- $problems = append $problems (printf "%s.extraVolumeMounts[%d]: volume %q is none of %s.extraVolumes (%s); add it there" $part $i $mount.name $part (join ", " (uniq $volumes) | default "none")) -}}
{{- end -}}
{{- if has $path (index $chartMounts $part) -}}
{{- $problems = append $problems (printf "%s.extraVolumeMounts[%d]: mountPath %s is where the chart mounts its own volume (%s); choose another path" $part $i $mount.mountPath (join ", " (index $chartMounts $part))) -}}
{{- else if has $path $paths -}}
{{- $problems = append $problems (printf "%s.extraVolumeMounts[%d]: mountPath %s is given twice, which the API server refuses" $part $i $mount.mountPath) -}}
{{- end -}}
{{- $paths = append $paths $path -}}
{{- end -}}
{{- range $i, $constraint := get $v "topologySpreadConstraints" | default list -}}
{{- if and $constraint.minDomains (ne $constraint.whenUnsatisfiable "DoNotSchedule") -}}
{{- $problems = append $problems (printf "%s.topologySpreadConstraints[%d]: minDomains goes with whenUnsatisfiable: DoNotSchedule (got %s), which the API server requires" $part $i $constraint.whenUnsatisfiable) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $problems -}}
{{- fail (printf "\n%s" (join "\n" .)) -}}
{{- end -}}
{{- end -}}
