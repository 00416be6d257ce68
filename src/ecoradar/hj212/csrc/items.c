/* The CP items: code-Suffix=value and other keys, as segment.parse_cp reads them. */
#include "hj212.h"

/* Keys (codes, suffixes, CP keys) repeat from packet to packet: short ASCII ones come from a
 * small direct-mapped cache of str objects whose hash is already computed. Bounded whatever
 * a device sends: a new key only replaces the one in its slot. */
#define KEY_SLOTS 1024
#define KEY_MAX 16
typedef struct {
    Py_ssize_t len;
    char chars[KEY_MAX];
    PyObject *str;
} KeyEntry;
static KeyEntry g_keys[KEY_SLOTS];

static PyObject *
key(const Text *t, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t n = b - a;
    if (n > KEY_MAX || n < 2 || !t->ascii)
        return sub(t, a, b);
    const char *p = (const char *)t->data + a;
    uint32_t h = 2166136261u;
    for (Py_ssize_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    KeyEntry *e = &g_keys[h & (KEY_SLOTS - 1)];
    if (e->str != NULL && e->len == n && memcmp(e->chars, p, (size_t)n) == 0)
        return Py_NewRef(e->str);
    PyObject *s = PyUnicode_New(n, 127);
    if (s == NULL)
        return NULL;
    memcpy(PyUnicode_DATA(s), p, (size_t)n);
    if (PyObject_Hash(s) == -1) {
        Py_DECREF(s);
        return NULL;
    }
    Py_XSETREF(e->str, Py_NewRef(s));
    e->len = n;
    memcpy(e->chars, p, (size_t)n);
    return s;
}

/* the chars [a, b) of t equal the str s */
static int
range_eq_str(const Text *t, Py_ssize_t a, Py_ssize_t b, PyObject *s)
{
    Py_ssize_t n = b - a;
    if (PyUnicode_GET_LENGTH(s) != n)
        return 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (kind == t->kind)
        return memcmp((const char *)t->data + a * kind, data, (size_t)(n * kind)) == 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyUnicode_READ(kind, data, i) != CH(t, a + i))
            return 0;
    return 1;
}



/* One CP token [a, b) of t, as segment.parse_cp handles it; -1 when the reference refuses it
 * (or on a Python error). */
static int
cp_token(Cp *s, const Text *t, Py_ssize_t a, Py_ssize_t b, Py_ssize_t e, Py_ssize_t d)
{
    /* e: the first '=' or -1; d: the first '-' before it or -1 */
    int eq = e >= 0;
    Py_ssize_t kend = eq ? e : b;
    int dash = d >= 0;
    Py_ssize_t cend = dash ? d : kend, sa = dash ? d + 1 : kend;
    int has_suffix = sa < kend, has_code = cend > a;
    PyObject *suffix, *value, *code;
    int rc;

    if (eq && has_suffix && s->last != NULL && range_eq_str(t, a, cend, s->last)) {
        /* the next value of the same factor */
        if (!(suffix = key(t, sa, kend)))
            return -1;
        if (s->strict && (rc = PyDict_Contains(s->values, suffix)) != 0) {
            Py_DECREF(suffix);
            return -1; /* repeated in strict mode: refused */
        }
        if (!(value = sub(t, e + 1, b))) {
            Py_DECREF(suffix);
            return -1;
        }
        rc = PyDict_SetItem(s->values, suffix, value);
        Py_DECREF(suffix);
        Py_DECREF(value);
        return rc;
    }
    if (!eq)
        return (kend == a && !s->strict) ? 0 : -1;
    int sb = cend - a >= 2 && CH(t, a) == 'S' && CH(t, a + 1) == 'B';
    if (has_code && has_suffix && !sb) {
        PyObject *name, *found;
        if (!(code = key(t, a, cend)))
            return -1;
        Py_XSETREF(s->last, Py_NewRef(code));
        name = PyDict_GetItemWithError(s->code_map, code);
        if (name != NULL) {
            if (s->original == NULL && !(s->original = PyDict_New()))
                goto code_error;
            if (PyDict_SetItem(s->original, name, code) < 0)
                goto code_error;
        }
        else if (PyErr_Occurred())
            goto code_error;
        else
            name = code;
        found = PyDict_GetItemWithError(s->items, name);
        if (!(suffix = key(t, sa, kend)))
            goto code_error;
        if (found == NULL) {
            if (PyErr_Occurred())
                goto suffix_error;
            PyObject *fresh = PyDict_New();
            if (fresh == NULL)
                goto suffix_error;
            rc = PyDict_SetItem(s->items, name, fresh);
            Py_DECREF(fresh);
            if (rc < 0)
                goto suffix_error;
            s->values = fresh; /* owned by items */
        }
        else {
            s->values = found;
            if (s->strict && PyDict_Contains(found, suffix) != 0)
                goto suffix_error;
        }
        Py_DECREF(code);
        if (!(value = sub(t, e + 1, b))) {
            Py_DECREF(suffix);
            return -1;
        }
        rc = PyDict_SetItem(s->values, suffix, value);
        Py_DECREF(suffix);
        Py_DECREF(value);
        return rc;
    suffix_error:
        Py_DECREF(suffix);
    code_error:
        Py_DECREF(code);
        return -1;
    }
    if (kend > a && (!dash || sb)) {
        PyObject *name = key(t, a, kend);
        if (name == NULL)
            return -1;
        if (s->strict && PyDict_Contains(s->cp, name) != 0) {
            Py_DECREF(name);
            return -1;
        }
        if (!(value = sub(t, e + 1, b))) {
            Py_DECREF(name);
            return -1;
        }
        rc = PyDict_SetItem(s->cp, name, value);
        Py_DECREF(name);
        Py_DECREF(value);
        return rc;
    }
    return -1; /* no code or no suffix */
}

static int
generic_token(Cp *s, const Text *t, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t e = find_ch(t, a, b, '=');
    return cp_token(s, t, a, b, e, find_ch(t, a, e >= 0 ? e : b, '-'));
}

/* The CP content [a, b) of t (between && and &&); -1 when refused or on error. */
int
hj_parse_cp(Cp *s, const Text *t, Py_ssize_t a, Py_ssize_t b, int spaced)
{
    if (a == b)
        return 0;
    if (spaced || find_lit(t, a, b, "=//") >= 0) {
        /* logs or blanks: the reference splits, the tokens are processed here */
        PyObject *content = sub(t, a, b), *tokens;
        if (content == NULL)
            return -1;
        tokens = PyObject_CallFunctionObjArgs(g_cp_tokens, content, s->strict ? Py_True : Py_False,
                                              spaced ? Py_True : Py_False, NULL);
        Py_DECREF(content);
        if (tokens == NULL)
            return -1;
        if (!PyList_CheckExact(tokens)) {
            Py_DECREF(tokens);
            return -1;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tokens); i++) {
            PyObject *token = PyList_GET_ITEM(tokens, i);
            Text tt;
            if (!PyUnicode_CheckExact(token)) {
                Py_DECREF(tokens);
                return -1;
            }
            text_of(&tt, token);
            if (generic_token(s, &tt, 0, tt.len) < 0) {
                Py_DECREF(tokens);
                return -1;
            }
        }
        Py_DECREF(tokens);
        return 0;
    }
    if (t->kind != PyUnicode_1BYTE_KIND) {
        for (;;) {
            Py_ssize_t end = find_sep(t, a, b);
            if (generic_token(s, t, a, end) < 0)
                return -1;
            if (end == b)
                return 0;
            a = end + 1;
        }
    }
    /* one pass over each token: its end, its first '=' and the first '-' before that */
    const unsigned char *d = (const unsigned char *)t->data;
    for (;;) {
        Py_ssize_t i = a, e = -1, dash = -1;
        for (; i < b; i++) {
            unsigned char c = d[i];
            if (c == ';' || c == ',')
                break;
            if (c == '=' && e < 0)
                e = i;
            else if (c == '-' && e < 0 && dash < 0)
                dash = i;
        }
        if (cp_token(s, t, a, i, e, dash) < 0)
            return -1;
        if (i == b)
            return 0;
        a = i + 1;
    }
}
