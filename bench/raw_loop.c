/*
 * raw_loop: the "raw C" baseline of the benchmarks. It imports a serialized GraphDef, opens a
 * session with serialized ConfigProto bytes (both written by the TS side, so both sides run the
 * very same graph and config), runs the init ops once, then times TF_SessionRun loops on request.
 *
 *   raw_loop <graph.pb> <config.pb> [init_op,...|-]
 *
 * Prints "ready <TF_Version()> <path of the loaded library>" once set up, then reads commands on
 * stdin, one a line, and answers each with one line on stdout:
 *
 *   run <iters> <reuse|fresh|copy> <feeds|-> <dims|-> <fetches|-> <targets|-> [<then fetches> <then targets>] [key=value...]
 *     -> "ok <total wall ns> <checksum> <total process CPU ns> <peak RSS bytes|0>" or "err <message>"
 *
 *   <then fetches> <then targets>: each iteration then makes a second run, without feeds, of these
 *     fetches and targets (a MonitoredTrainingSession step with a checkpoint saver makes two runs:
 *     the step and a read of the global step)
 *
 * Feeds: comma-separated names, each optionally `name@kind`: `float` (float32 1, 2, 3, ...; the
 * default), `unit` (float32 (i % 251) / 251), `label` (int32 i % 10). Dims: one comma-separated
 * list per feed, the lists separated by '/' (`128,784/128`). Modes: `reuse` makes each feed tensor
 * once and hands the same one to every run (the cheapest a C caller can do); `fresh` allocates and
 * fills a new one each run; `copy` allocates a new one each run and memcpy's the values from a
 * buffer filled once (what a binding that copies its input pays). Options: `out=peek` (default:
 * each fetched tensor's first element goes into the checksum) or `out=copy` (each fetched tensor
 * is also copied out into a malloc'd buffer, as a binding that copies its outputs does); `rss=1`:
 * the process's resident set is sampled after every run and its peak reported. Every fetched
 * tensor is deleted each run. Fetches and targets are comma-separated names ('y:0', 'train').
 * EOF on stdin ends the program.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tensorflow/c/c_api.h>

#define MAX_N 64

static void die(const char* what, TF_Status* s) {
  fprintf(stderr, "raw_loop: %s: %s\n", what, s ? TF_Message(s) : "");
  exit(1);
}

static void* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "raw_loop: cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* buf = malloc(n > 0 ? (size_t)n : 1);
  if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "raw_loop: cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static int64_t clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Splits a comma-separated list in place; "-" is the empty list. */
static int split(char* s, char** out, int max) {
  int n = 0;
  if (!s || strcmp(s, "-") == 0) return 0;
  for (char* tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) out[n++] = tok;
  return n;
}

static TF_Operation* op_by_name(TF_Graph* g, const char* name) {
  TF_Operation* op = TF_GraphOperationByName(g, name);
  if (!op) {
    printf("err no operation '%s'\n", name);
    fflush(stdout);
  }
  return op;
}

/* 'name:index' (or 'name' = output 0) */
static int resolve_output(TF_Graph* g, const char* spec, TF_Output* out) {
  char name[512];
  snprintf(name, sizeof name, "%s", spec);
  int index = 0;
  char* colon = strrchr(name, ':');
  if (colon) {
    *colon = 0;
    index = atoi(colon + 1);
  }
  TF_Operation* op = op_by_name(g, name);
  if (!op) return 0;
  out->oper = op;
  out->index = index;
  return 1;
}

enum fill { FILL_FLOAT, FILL_UNIT, FILL_LABEL };

struct feed {
  TF_Output out;
  enum fill fill;
  int64_t dims[16];
  int ndims;
  size_t count;
  void* host; /* mode copy: the values, filled once */
  TF_Tensor* tensor; /* mode reuse: the tensor every run gets */
};

static size_t feed_bytes(const struct feed* f) {
  return f->count * (f->fill == FILL_LABEL ? sizeof(int32_t) : sizeof(float));
}

static void fill_values(const struct feed* f, void* data) {
  if (f->fill == FILL_LABEL) {
    int32_t* p = (int32_t*)data;
    for (size_t i = 0; i < f->count; i++) p[i] = (int32_t)(i % 10);
  } else {
    float* p = (float*)data;
    if (f->fill == FILL_UNIT) {
      for (size_t i = 0; i < f->count; i++) p[i] = (float)(i % 251) / 251.0f;
    } else {
      for (size_t i = 0; i < f->count; i++) p[i] = (float)(i + 1);
    }
  }
}

static TF_Tensor* new_feed_tensor(const struct feed* f) {
  return TF_AllocateTensor(f->fill == FILL_LABEL ? TF_INT32 : TF_FLOAT, f->dims, f->ndims, feed_bytes(f));
}

/* The resident set of this process now, in bytes (/proc/self/statm). */
static long long rss_bytes(void) {
  static long page = 0;
  if (!page) page = sysconf(_SC_PAGESIZE);
  FILE* f = fopen("/proc/self/statm", "r");
  long long size = 0, resident = 0;
  if (!f) return 0;
  if (fscanf(f, "%lld %lld", &size, &resident) != 2) resident = 0;
  fclose(f);
  return resident * page;
}

/* The first element of a fetched tensor, for the checksum. */
static double first_value(TF_Tensor* t) {
  size_t n = TF_TensorByteSize(t);
  const void* d = TF_TensorData(t);
  switch (TF_TensorType(t)) {
    case TF_FLOAT: return n >= sizeof(float) ? *(const float*)d : 0;
    case TF_INT32: return n >= sizeof(int32_t) ? *(const int32_t*)d : 0;
    case TF_INT64: return n >= sizeof(int64_t) ? (double)*(const int64_t*)d : 0;
    default: return 0;
  }
}

/* Reads, optionally copies out, and deletes the fetched tensors of one run. */
static double take_outputs(TF_Tensor** out, int nout, int copyOut) {
  double sum = 0;
  for (int i = 0; i < nout; i++) {
    sum += first_value(out[i]);
    if (copyOut) {
      size_t n = TF_TensorByteSize(out[i]);
      void* host = malloc(n ? n : 1);
      memcpy(host, TF_TensorData(out[i]), n);
      sum += n ? ((const unsigned char*)host)[n - 1] : 0;
      free(host);
    }
    TF_DeleteTensor(out[i]);
  }
  return sum;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: raw_loop <graph.pb> <config.pb> [init_op,...|-]\n");
    return 2;
  }
  TF_Status* status = TF_NewStatus();

  size_t glen = 0, clen = 0;
  void* gbytes = read_file(argv[1], &glen);
  void* cbytes = read_file(argv[2], &clen);

  TF_Graph* graph = TF_NewGraph();
  TF_Buffer* gdef = TF_NewBufferFromString(gbytes, glen);
  TF_ImportGraphDefOptions* iopts = TF_NewImportGraphDefOptions();
  TF_GraphImportGraphDef(graph, gdef, iopts, status);
  if (TF_GetCode(status) != TF_OK) die("TF_GraphImportGraphDef", status);
  TF_DeleteImportGraphDefOptions(iopts);
  TF_DeleteBuffer(gdef);

  TF_SessionOptions* sopts = TF_NewSessionOptions();
  /* Always set, even when empty (= the default ConfigProto), as the addon does for bytes. */
  TF_SetConfig(sopts, cbytes, clen, status);
  if (TF_GetCode(status) != TF_OK) die("TF_SetConfig", status);
  TF_Session* sess = TF_NewSession(graph, sopts, status);
  if (TF_GetCode(status) != TF_OK) die("TF_NewSession", status);
  TF_DeleteSessionOptions(sopts);

  if (argc > 3) {
    char* names[MAX_N];
    char* list = strdup(argv[3]);
    int n = split(list, names, MAX_N);
    TF_Operation* ops[MAX_N];
    for (int i = 0; i < n; i++) {
      ops[i] = TF_GraphOperationByName(graph, names[i]);
      if (!ops[i]) {
        fprintf(stderr, "raw_loop: no init operation '%s'\n", names[i]);
        return 1;
      }
    }
    if (n > 0) {
      TF_SessionRun(sess, NULL, NULL, NULL, 0, NULL, NULL, 0, (const TF_Operation* const*)ops, n, NULL, status);
      if (TF_GetCode(status) != TF_OK) die("init run", status);
    }
    free(list);
  }

  /* Where TF_Version came from: the caller checks it is the library the addon loaded. */
  Dl_info where;
  const char* libPath = dladdr((void*)TF_Version, &where) && where.dli_fname ? where.dli_fname : "?";
  printf("ready %s %s\n", TF_Version(), libPath);
  fflush(stdout);

  char line[8192];
  while (fgets(line, sizeof line, stdin)) {
    char* tok[16];
    int ntok = 0;
    for (char* t = strtok(line, " \t\r\n"); t && ntok < 16; t = strtok(NULL, " \t\r\n")) tok[ntok++] = t;
    /* Positional fields first, then key=value options. */
    int npos = 0;
    while (npos < ntok && !strchr(tok[npos], '=')) npos++;
    if ((npos != 7 && npos != 9) || strcmp(tok[0], "run") != 0) {
      printf("err bad command (%d fields)\n", npos);
      fflush(stdout);
      continue;
    }
    int copyOut = 0, sampleRss = 0;
    for (int i = npos; i < ntok; i++) {
      if (strcmp(tok[i], "out=copy") == 0) copyOut = 1;
      else if (strcmp(tok[i], "rss=1") == 0) sampleRss = 1;
    }
    long iters = atol(tok[1]);
    const char* mode = tok[2];
    int fresh = strcmp(mode, "fresh") == 0, copyIn = strcmp(mode, "copy") == 0;

    struct feed feeds[MAX_N];
    TF_Output inputs[MAX_N];
    int ninputs = 0, ok = 1;
    char* feedNames[MAX_N];
    char* dimGroups[MAX_N];
    int nfeeds = split(tok[3], feedNames, MAX_N);
    int ngroups = 0;
    if (strcmp(tok[4], "-") != 0) {
      for (char* g = strtok(tok[4], "/"); g && ngroups < MAX_N; g = strtok(NULL, "/")) dimGroups[ngroups++] = g;
    }
    if (nfeeds != ngroups) {
      printf("err %d feeds but %d dims lists\n", nfeeds, ngroups);
      fflush(stdout);
      continue;
    }
    for (int i = 0; i < nfeeds && ok; i++) {
      struct feed* f = &feeds[i];
      memset(f, 0, sizeof *f);
      char* at = strchr(feedNames[i], '@');
      f->fill = FILL_FLOAT;
      if (at) {
        *at = 0;
        if (strcmp(at + 1, "unit") == 0) f->fill = FILL_UNIT;
        else if (strcmp(at + 1, "label") == 0) f->fill = FILL_LABEL;
      }
      ok = resolve_output(graph, feedNames[i], &f->out);
      f->count = 1;
      for (char* d = strtok(dimGroups[i], ","); d && f->ndims < 16; d = strtok(NULL, ",")) {
        f->dims[f->ndims] = atoll(d);
        f->count *= (size_t)f->dims[f->ndims++];
      }
      inputs[i] = f->out;
      ninputs++;
    }

    char* fetchNames[MAX_N];
    char* targetNames[MAX_N];
    int nout = split(tok[5], fetchNames, MAX_N);
    int ntargets = split(tok[6], targetNames, MAX_N);
    TF_Output outputs[MAX_N];
    TF_Operation* targets[MAX_N];
    for (int i = 0; i < nout && ok; i++) ok = resolve_output(graph, fetchNames[i], &outputs[i]);
    for (int i = 0; i < ntargets && ok; i++) ok = (targets[i] = op_by_name(graph, targetNames[i])) != NULL;
    /* The optional second run of each iteration. */
    int twice = npos == 9;
    char* thenFetchNames[MAX_N];
    char* thenTargetNames[MAX_N];
    int thenNout = twice ? split(tok[7], thenFetchNames, MAX_N) : 0;
    int thenNtargets = twice ? split(tok[8], thenTargetNames, MAX_N) : 0;
    TF_Output thenOutputs[MAX_N];
    TF_Operation* thenTargets[MAX_N];
    for (int i = 0; i < thenNout && ok; i++) ok = resolve_output(graph, thenFetchNames[i], &thenOutputs[i]);
    for (int i = 0; i < thenNtargets && ok; i++) ok = (thenTargets[i] = op_by_name(graph, thenTargetNames[i])) != NULL;
    if (!ok) continue;

    for (int i = 0; i < ninputs; i++) {
      struct feed* f = &feeds[i];
      if (copyIn) {
        f->host = malloc(feed_bytes(f) ? feed_bytes(f) : 1);
        fill_values(f, f->host);
      } else if (!fresh) {
        f->tensor = new_feed_tensor(f);
        fill_values(f, TF_TensorData(f->tensor));
      }
    }
    TF_Tensor* in[MAX_N];
    TF_Tensor* out[MAX_N];
    double checksum = 0;
    long long peakRss = sampleRss ? rss_bytes() : 0;
    int64_t c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    int64_t t0 = clock_ns(CLOCK_MONOTONIC);
    for (long it = 0; it < iters; it++) {
      for (int i = 0; i < ninputs; i++) {
        struct feed* f = &feeds[i];
        if (f->tensor) {
          in[i] = f->tensor;
        } else {
          in[i] = new_feed_tensor(f);
          if (copyIn) memcpy(TF_TensorData(in[i]), f->host, feed_bytes(f));
          else fill_values(f, TF_TensorData(in[i]));
        }
      }
      TF_SessionRun(sess, NULL, inputs, in, ninputs, outputs, out, nout, (const TF_Operation* const*)targets, ntargets, NULL,
                    status);
      for (int i = 0; i < ninputs; i++) {
        if (!feeds[i].tensor) TF_DeleteTensor(in[i]);
      }
      if (TF_GetCode(status) != TF_OK) break;
      checksum += take_outputs(out, nout, copyOut);
      if (sampleRss) {
        long long r = rss_bytes();
        if (r > peakRss) peakRss = r;
      }
      if (!twice) continue;
      TF_SessionRun(sess, NULL, NULL, NULL, 0, thenOutputs, out, thenNout, (const TF_Operation* const*)thenTargets,
                    thenNtargets, NULL, status);
      if (TF_GetCode(status) != TF_OK) break;
      checksum += take_outputs(out, thenNout, copyOut);
    }
    int64_t t1 = clock_ns(CLOCK_MONOTONIC);
    int64_t c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < ninputs; i++) {
      if (feeds[i].tensor) TF_DeleteTensor(feeds[i].tensor);
      free(feeds[i].host);
    }
    if (TF_GetCode(status) != TF_OK) {
      printf("err %s\n", TF_Message(status));
    } else {
      printf("ok %lld %.6g %lld %lld\n", (long long)(t1 - t0), checksum, (long long)(c1 - c0), peakRss);
    }
    fflush(stdout);
  }

  TF_CloseSession(sess, status);
  TF_DeleteSession(sess, status);
  TF_DeleteGraph(graph);
  TF_DeleteStatus(status);
  free(gbytes);
  free(cbytes);
  return 0;
}
