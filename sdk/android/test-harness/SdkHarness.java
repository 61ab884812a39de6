import android.content.ComponentCallbacks;
import android.content.ComponentCallbacks2;
import android.content.Context;
import android.content.pm.PackageManager;
import android.os.Bundle;
import android.provider.Settings;
import com.vaimanasoft.Vaimanasoft;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.Permission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Drives the Android SDK (Java or Kotlin build, same public API) on a plain JVM for the project's
 * tests: one JSON command per line on stdin, one JSON answer per line on stdout
 * ({"ok": true, "result": ...} or {"ok": false, "error": "..."}). The SDK's public methods are
 * called on this "main" thread; a StrictMode-like SecurityManager records any file or network
 * access made on it during those calls (Android's rule: no I/O on the main thread).
 */
public final class SdkHarness {
    private static Context context;
    private static StrictMode strict;
    private static PrintStream out;

    public static void main(String[] args) throws Exception {
        out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
        System.setOut(System.err); // anything else printed goes to stderr, not into the protocol
        strict = StrictMode.install(Thread.currentThread());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.trim().isEmpty()) continue;
            JSONObject answer = new JSONObject();
            try {
                JSONObject command = new JSONObject(line);
                if ("exit".equals(command.getString("cmd"))) break;
                answer.put("ok", true);
                answer.put("result", wrap(run(command)));
            } catch (Throwable e) {
                answer.put("ok", false);
                answer.put("error", e.toString());
            }
            out.println(answer.toString());
        }
        out.flush();
        System.exit(0);
    }

    private static Object wrap(Object value) {
        return value == null ? JSONObject.NULL : value;
    }

    /** Call into the SDK on this thread with the I/O check on. */
    private static <T> T sdk(java.util.concurrent.Callable<T> call) throws Exception {
        strict.active = true;
        try {
            return call.call();
        } finally {
            strict.active = false;
        }
    }

    private static Object run(final JSONObject c) throws Exception {
        final String cmd = c.getString("cmd");
        switch (cmd) {
            case "init":
                return init(c);
            case "track":
                final Map<String, Object> props = c.has("props") ? toMap(c.getJSONObject("props")) : null;
                return sdk(() -> {
                    if (props == null) Vaimanasoft.track(c.getString("name"));
                    else Vaimanasoft.track(c.getString("name"), props);
                    return null;
                });
            case "trackBundle":
                final Bundle bundle = toBundle(c.getJSONObject("props"));
                return sdk(() -> {
                    Vaimanasoft.track(c.getString("name"), bundle);
                    return null;
                });
            case "trackMany":
                return sdk(() -> {
                    for (int i = 0; i < c.getInt("count"); i++) {
                        Vaimanasoft.track(c.getString("name"), Collections.singletonMap("n", (Object) i));
                    }
                    return null;
                });
            case "trackPurchase":
                return sdk(() -> {
                    if (c.has("currency")) Vaimanasoft.trackPurchase(c.getString("productId"), c.getDouble("amount"), c.getString("currency"));
                    else Vaimanasoft.trackPurchase(c.getString("productId"), c.getDouble("amount"));
                    return null;
                });
            case "trackAdWatched":
                return sdk(() -> {
                    Vaimanasoft.trackAdWatched();
                    return null;
                });
            case "trackFeatureUsed":
                return sdk(() -> {
                    Vaimanasoft.trackFeatureUsed(c.getString("feature"));
                    return null;
                });
            case "trackPageView":
                return sdk(() -> {
                    Vaimanasoft.trackPageView(c.getString("page"));
                    return null;
                });
            case "trackSessionStart":
                return sdk(() -> {
                    Vaimanasoft.trackSessionStart();
                    return null;
                });
            case "trackSessionEnd":
                return sdk(() -> {
                    Vaimanasoft.trackSessionEnd();
                    return null;
                });
            case "trackAdRevenue":
                return sdk(() -> {
                    Vaimanasoft.trackAdRevenue(
                            c.getString("adType"),
                            c.optString("adNetwork", null),
                            c.getDouble("revenue"),
                            c.has("ecpm") ? (Double) c.getDouble("ecpm") : null,
                            c.optString("geoTier", null),
                            c.optString("country", null));
                    return null;
                });
            case "trackCrossPromo":
                return sdk(() -> {
                    Vaimanasoft.trackCrossPromo(c.getLong("campaignId"), c.getString("event"));
                    return null;
                });
            case "updateFcmToken":
                return sdk(() -> {
                    Vaimanasoft.updateFcmToken(c.getString("token"));
                    return null;
                });
            case "flush":
                return sdk(() -> {
                    Vaimanasoft.flush();
                    return null;
                });
            case "background":
                return sdk(() -> {
                    int delivered = 0;
                    for (ComponentCallbacks cb : context.testOnlyCallbacks()) {
                        if (cb instanceof ComponentCallbacks2) {
                            ((ComponentCallbacks2) cb).onTrimMemory(ComponentCallbacks2.TRIM_MEMORY_UI_HIDDEN);
                            delivered++;
                        }
                    }
                    return delivered;
                });
            case "queueSize":
                return sdk(Vaimanasoft::getQueueSize);
            case "waitQueue": {
                long deadline = System.currentTimeMillis() + c.optLong("timeoutMs", 30000);
                int size;
                while ((size = Vaimanasoft.getQueueSize()) != c.getInt("size") && System.currentTimeMillis() < deadline) {
                    Thread.sleep(20);
                }
                return size;
            }
            case "refreshFlags": {
                final AtomicReference<Boolean> result = new AtomicReference<>();
                final CountDownLatch done = new CountDownLatch(1);
                sdk(() -> {
                    Vaimanasoft.refreshFlags(ok -> {
                        result.set(ok);
                        done.countDown();
                    });
                    return null;
                });
                if (!done.await(c.optLong("timeoutMs", 30000), TimeUnit.MILLISECONDS)) throw new IllegalStateException("no callback");
                return result.get();
            }
            case "flags": {
                JSONObject all = new JSONObject();
                JSONArray keys = c.getJSONArray("keys");
                for (int i = 0; i < keys.length(); i++) {
                    final String key = keys.getString(i);
                    JSONObject f = new JSONObject();
                    f.put("enabled", sdk(() -> Vaimanasoft.isEnabled(key)));
                    f.put("enabledDefaultTrue", sdk(() -> Vaimanasoft.isEnabled(key, true)));
                    f.put("variant", wrap(sdk(() -> Vaimanasoft.getVariant(key))));
                    f.put("value", wrap(sdk(() -> Vaimanasoft.getValue(key))));
                    all.put(key, f);
                }
                return all;
            }
            case "getValue": {
                final Object def = c.opt("default");
                Object v = sdk(() -> Vaimanasoft.getValue(c.getString("key"), def));
                JSONObject r = new JSONObject();
                r.put("value", wrap(v));
                r.put("class", v == null ? "null" : v.getClass().getSimpleName());
                return r;
            }
            case "refreshProfile": {
                final AtomicReference<JSONObject> result = new AtomicReference<>();
                final CountDownLatch done = new CountDownLatch(1);
                sdk(() -> {
                    Vaimanasoft.refreshProfile(p -> {
                        result.set(p);
                        done.countDown();
                    });
                    return null;
                });
                if (!done.await(c.optLong("timeoutMs", 30000), TimeUnit.MILLISECONDS)) throw new IllegalStateException("no callback");
                return result.get();
            }
            case "profile": {
                JSONObject r = new JSONObject();
                r.put("profile", wrap(sdk(Vaimanasoft::getProfile)));
                r.put("segment", wrap(sdk(Vaimanasoft::getSegment)));
                r.put("adStrategy", sdk(Vaimanasoft::getAdStrategy));
                r.put("adsEnabled", sdk(() -> Vaimanasoft.getAdStrategyBoolean("ads_enabled", false)));
                r.put("interstitialCap", sdk(() -> Vaimanasoft.getAdStrategyInt("interstitial_cap", -1)));
                return r;
            }
            case "crossPromo": {
                final AtomicReference<JSONObject> result = new AtomicReference<>();
                final CountDownLatch done = new CountDownLatch(1);
                sdk(() -> {
                    Vaimanasoft.getCrossPromo(p -> {
                        result.set(p);
                        done.countDown();
                    });
                    return null;
                });
                if (!done.await(c.optLong("timeoutMs", 30000), TimeUnit.MILLISECONDS)) throw new IllegalStateException("no callback");
                return result.get();
            }
            case "vectors":
                return vectors(new File(c.getString("path")));
            case "threads": {
                JSONArray names = new JSONArray();
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (t.isAlive() && t.getName().startsWith("vaimanasoft")) names.put(t.getName());
                }
                return names;
            }
            case "shutdown":
                return sdk(() -> {
                    Vaimanasoft.shutdown();
                    return null;
                });
            case "strict": {
                JSONObject r = new JSONObject();
                r.put("available", strict.installed);
                r.put("violations", new JSONArray(strict.violations()));
                return r;
            }
            case "sleep":
                Thread.sleep(c.getLong("ms"));
                return null;
            default:
                throw new IllegalArgumentException("unknown command " + cmd);
        }
    }

    private static Object init(JSONObject c) throws Exception {
        File dir = new File(c.getString("dir"));
        String pkg = c.optString("packageName", "com.example.app");
        PackageManager pm = new PackageManager(pkg, c.optString("appVersion", "1.0.0"), c.optString("installer", null));
        context = new Context(dir, pkg, pm);
        if (c.has("secureAndroidId")) {
            context.getContentResolver().testOnlyPutSecure(Settings.Secure.ANDROID_ID, c.getString("secureAndroidId"));
        }
        final Vaimanasoft.Options options = new Vaimanasoft.Options();
        options.baseUrl = c.getString("baseUrl");
        JSONObject given = c.optJSONObject("options");
        if (given != null) {
            for (Iterator<String> keys = given.keys(); keys.hasNext(); ) {
                String key = keys.next();
                Field f = Vaimanasoft.Options.class.getField(key);
                Class<?> t = f.getType();
                if (t == int.class) f.setInt(options, given.getInt(key));
                else if (t == long.class) f.setLong(options, given.getLong(key));
                else if (t == boolean.class) f.setBoolean(options, given.getBoolean(key));
                else f.set(options, given.isNull(key) ? null : given.getString(key));
            }
        }
        final Context ctx = context;
        return sdk(() -> {
            Vaimanasoft.init(ctx, c.getString("sdkKey"), options);
            return null;
        });
    }

    /** The shared flag vectors against the SDK's own evaluation helpers. */
    private static JSONObject vectors(File file) throws Exception {
        JSONObject doc = new JSONObject(new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8));
        JSONArray cta = doc.getJSONArray("variants_50_30_20");
        List<String> failures = new ArrayList<>();
        int checked = 0;
        JSONArray cases = doc.getJSONArray("cases");
        for (int i = 0; i < cases.length(); i++, checked++) {
            JSONObject k = cases.getJSONObject(i);
            String key = k.getString("flag_key"), id = k.getString("android_id");
            int bucket = k.getInt("bucket");
            expect(failures, k, "crc32", Vaimanasoft.crc32(key + ":" + id), k.getLong("crc32"));
            expect(failures, k, "bucket", Vaimanasoft.bucket(key, id), bucket);
            expect(failures, k, "pick", Vaimanasoft.variantPick(key, id, 100), k.getLong("pick"));
            JSONObject on = Vaimanasoft.evaluateFlag(key, id, true, bucket + 1, cta);
            expect(failures, k, "variant", on.optString("variant", null), k.getString("variant"));
            expect(failures, k, "enabled at bucket", Vaimanasoft.evaluateFlag(key, id, true, bucket, cta).getBoolean("enabled"), false);
            expect(failures, k, "disabled flag", Vaimanasoft.evaluateFlag(key, id, false, 100, cta).getBoolean("enabled"), false);
        }
        JSONArray walks = doc.getJSONArray("walks");
        for (int i = 0; i < walks.length(); i++, checked++) {
            JSONObject w = walks.getJSONObject(i);
            JSONArray variants = doc.getJSONObject("variant_sets").getJSONArray(w.getString("set"));
            long total = 0;
            JSONObject expected = null;
            for (int j = 0; j < variants.length(); j++) {
                total += variants.getJSONObject(j).getLong("weight");
                if (variants.getJSONObject(j).getString("key").equals(w.getString("variant"))) expected = variants.getJSONObject(j);
            }
            String key = w.getString("flag_key"), id = w.getString("android_id");
            expect(failures, w, "pick", Vaimanasoft.variantPick(key, id, total), w.getLong("pick"));
            JSONObject r = Vaimanasoft.evaluateFlag(key, id, true, 100, variants);
            expect(failures, w, "variant", r.optString("variant", null), w.getString("variant"));
            expect(failures, w, "value", String.valueOf(r.opt("value")), String.valueOf(expected.opt("value")));
        }
        JSONArray rollouts = doc.getJSONArray("rollouts");
        for (int i = 0; i < rollouts.length(); i++, checked++) {
            JSONObject r = rollouts.getJSONObject(i);
            boolean on = Vaimanasoft.evaluateFlag(r.getString("flag_key"), r.getString("android_id"), true, r.getInt("rollout_pct"), null).getBoolean("enabled");
            expect(failures, r, "enabled", on, r.getBoolean("enabled"));
        }
        JSONArray crcs = doc.getJSONArray("crc32");
        for (int i = 0; i < crcs.length(); i++, checked++) {
            JSONObject t = crcs.getJSONObject(i);
            expect(failures, t, "crc32", Vaimanasoft.crc32(t.getString("text")), t.getLong("crc32"));
        }
        JSONObject result = new JSONObject();
        result.put("checked", checked);
        result.put("failures", new JSONArray(failures));
        return result;
    }

    private static void expect(List<String> failures, JSONObject vector, String what, Object got, Object want) {
        boolean same = got == null ? want == null : (got instanceof Number && want instanceof Number)
                ? ((Number) got).longValue() == ((Number) want).longValue() : got.equals(want);
        if (!same) failures.add(vector + ": " + what + " " + got + " != " + want);
    }

    private static Map<String, Object> toMap(JSONObject o) throws JSONException {
        Map<String, Object> m = new HashMap<>();
        for (Iterator<String> keys = o.keys(); keys.hasNext(); ) {
            String key = keys.next();
            Object v = o.get(key);
            if (v instanceof JSONObject) v = toMap((JSONObject) v);
            else if (v == JSONObject.NULL) v = null;
            m.put(key, v);
        }
        return m;
    }

    private static Bundle toBundle(JSONObject o) throws JSONException {
        Bundle b = new Bundle();
        for (Iterator<String> keys = o.keys(); keys.hasNext(); ) {
            String key = keys.next();
            Object v = o.get(key);
            if (v instanceof Integer) b.putInt(key, (Integer) v);
            else if (v instanceof Long) b.putLong(key, (Long) v);
            else if (v instanceof Number) b.putDouble(key, ((Number) v).doubleValue());
            else if (v instanceof Boolean) b.putBoolean(key, (Boolean) v);
            else if (v instanceof JSONObject) b.putBundle(key, toBundle((JSONObject) v));
            else b.putString(key, String.valueOf(v));
        }
        return b;
    }

    /** Records file and network access on the main thread while it is inside an SDK call. */
    static final class StrictMode extends SecurityManager {
        final Thread main;
        final List<String> found = Collections.synchronizedList(new ArrayList<String>());
        final List<String> ignoredRoots = new ArrayList<>();
        volatile boolean active;
        boolean installed;

        StrictMode(Thread main) {
            this.main = main;
            ignore(new File(System.getProperty("java.home")));
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                ignore(new File(entry)); // class loading
            }
            ignoredRoots.add("/dev/urandom");
            ignoredRoots.add("/dev/random");
        }

        private void ignore(File path) {
            ignoredRoots.add(path.getAbsolutePath());
            try {
                ignoredRoots.add(path.getCanonicalPath()); // a jar symlink opens as its target
            } catch (java.io.IOException ignored) {
                // the absolute path is enough
            }
        }

        static StrictMode install(Thread main) {
            StrictMode mode = new StrictMode(main);
            try {
                System.setSecurityManager(mode);
                mode.installed = true;
            } catch (UnsupportedOperationException | SecurityException e) {
                System.err.println("StrictMode check unavailable on this JVM: " + e);
            }
            return mode;
        }

        List<String> violations() {
            synchronized (found) {
                return new ArrayList<>(found);
            }
        }

        private void flag(String what, String path) {
            if (!active || Thread.currentThread() != main) return;
            if (path != null) {
                String abs = new File(path).getAbsolutePath();
                for (String root : ignoredRoots) if (abs.startsWith(root)) return;
            }
            StringBuilder where = new StringBuilder(what);
            for (StackTraceElement e : new Throwable().getStackTrace()) {
                if (e.getClassName().startsWith("com.vaimanasoft")) {
                    where.append(" at ").append(e);
                    break;
                }
            }
            found.add(where.toString());
        }

        @Override
        public void checkPermission(Permission perm) {}

        @Override
        public void checkPermission(Permission perm, Object context) {}

        @Override
        public void checkRead(String file) {
            flag("disk read " + file, file);
        }

        @Override
        public void checkWrite(String file) {
            flag("disk write " + file, file);
        }

        @Override
        public void checkDelete(String file) {
            flag("disk delete " + file, file);
        }

        @Override
        public void checkConnect(String host, int port) {
            flag("network " + host + ":" + port, null);
        }
    }
}
