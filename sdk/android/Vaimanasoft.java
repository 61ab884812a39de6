/*
 * Vaimanasoft Android SDK (Java), API v4. Copy this one file into your app's sources (keep or change
 * the package line); no Gradle dependency: it uses only Android SDK classes, java.net and org.json.
 *
 *   Vaimanasoft.init(this, "sk_your_sdk_key", "https://analytics.example.com/api/v4");
 *   Vaimanasoft.track("button_clicked", props);
 *   if (Vaimanasoft.isEnabled("new_onboarding")) { ... }
 *
 * Events are kept in a file in the app's storage until the server took them, sent in batches of at
 * most 50 (when 50 are waiting, every flushIntervalMs, when the app goes to the background, and on
 * flush()), each with a random event_id (so a retried batch is stored once) and the batch's sent_at.
 * A failed send is retried with exponential backoff and jitter; a 429 waits for its Retry-After; any
 * other 4xx drops the batch (logged). All network and disk work runs on one background thread; the
 * public methods only hand work to it and read in-memory state, so they are safe on the main thread.
 * Callbacks run on that background thread.
 */
package com.vaimanasoft;

import android.content.ComponentCallbacks2;
import android.content.Context;
import android.content.SharedPreferences;
import android.content.pm.PackageInfo;
import android.content.pm.PackageManager;
import android.content.res.Configuration;
import android.os.Build;
import android.os.Bundle;
import android.provider.Settings;
import android.util.Log;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TimeZone;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

public final class Vaimanasoft {
    public static final String VERSION = "4.0.0";
    public static final String DEFAULT_BASE_URL = "https://vaimanasoft.com/api/v4";

    static final String TAG = "Vaimanasoft";
    static final Charset UTF8 = Charset.forName("UTF-8");
    static final Pattern EVENT_TYPE = Pattern.compile("^[a-z0-9_.:-]{1,64}$");
    static final Pattern ANDROID_ID = Pattern.compile("^[A-Za-z0-9._:-]{1,128}$");
    /** Settings.Secure.ANDROID_ID of many devices of one buggy Android 2.2 build: not unique. */
    static final String SHARED_ANDROID_ID = "9774d56d682e549c";
    static final int MAX_EVENT_DATA_BYTES = 8 * 1024;
    /** Below the server's 256 KiB limit for SDK routes, with room for the envelope. */
    static final int MAX_BATCH_BYTES = 200 * 1024;
    static final int MAX_RESPONSE_BYTES = 1024 * 1024;

    /** Settings for init(); the defaults suit production. */
    public static final class Options {
        /** The platform's API base, ending in /api/v4. */
        public String baseUrl = DEFAULT_BASE_URL;
        /** Events per request, 1..50. */
        public int maxBatchSize = 50;
        /** How often waiting events are sent. */
        public long flushIntervalMs = 30000;
        /** How long fetched flags count as fresh (a read after that refreshes them in the background). */
        public long flagsTtlMs = 60000;
        /** First retry delay; doubled per failure (with jitter) up to retryMaxMs. */
        public long retryBaseMs = 1000;
        public long retryMaxMs = 5 * 60 * 1000;
        /** Events and calls kept on the device while offline; the oldest are dropped beyond it. */
        public int maxQueueSize = 10000;
        public int connectTimeoutMs = 10000;
        public int readTimeoutMs = 15000;
        /** The device id sent as android_id; default Settings.Secure.ANDROID_ID (or a stored random id). */
        public String androidId = null;
        /** Log every request (Log.d). */
        public boolean debug = false;

        Options copy() {
            Options o = new Options();
            o.baseUrl = baseUrl;
            o.maxBatchSize = Math.max(1, Math.min(50, maxBatchSize));
            o.flushIntervalMs = Math.max(100, flushIntervalMs);
            o.flagsTtlMs = Math.max(0, flagsTtlMs);
            o.retryBaseMs = Math.max(1, retryBaseMs);
            o.retryMaxMs = Math.max(o.retryBaseMs, retryMaxMs);
            o.maxQueueSize = Math.max(1, maxQueueSize);
            o.connectTimeoutMs = connectTimeoutMs;
            o.readTimeoutMs = readTimeoutMs;
            o.androidId = androidId;
            o.debug = debug;
            return o;
        }
    }

    /** A result delivered on the SDK's background thread. */
    public interface Callback<T> {
        void onResult(T result);
    }

    private static final Object LOCK = new Object();
    private static volatile Client client;

    private Vaimanasoft() {}

    // --- lifecycle ---------------------------------------------------------------------------

    /** Start the SDK against the default base URL (call once, in Application.onCreate). */
    public static void init(Context context, String sdkKey) {
        init(context, sdkKey, new Options());
    }

    /** Start the SDK against a self-hosted platform (baseUrl ends in /api/v4). */
    public static void init(Context context, String sdkKey, String baseUrl) {
        Options options = new Options();
        options.baseUrl = baseUrl;
        init(context, sdkKey, options);
    }

    /** Start the SDK with options. A second init without shutdown() is ignored. */
    public static void init(Context context, String sdkKey, Options options) {
        if (context == null || sdkKey == null || sdkKey.length() == 0 || options == null) {
            Log.e(TAG, "init: context, sdkKey and options are required");
            return;
        }
        synchronized (LOCK) {
            if (client != null) {
                Log.w(TAG, "init: already initialised (call shutdown() first to start again)");
                return;
            }
            Context app = context.getApplicationContext() != null ? context.getApplicationContext() : context;
            client = new Client(app, sdkKey, options.copy());
            client.start();
        }
    }

    /** Send what is waiting, then stop the background thread (events left over stay stored). */
    public static void shutdown() {
        Client c;
        synchronized (LOCK) {
            c = client;
            client = null;
        }
        if (c != null) c.stop();
    }

    /** Send the waiting events now (unless a retry is pending: then at its time). */
    public static void flush() {
        Client c = client("flush");
        if (c != null) c.flush();
    }

    /** Events and calls stored on the device, waiting to be sent. */
    public static int getQueueSize() {
        Client c = client;
        return c == null ? 0 : c.queueSize();
    }

    // --- events ------------------------------------------------------------------------------

    /** Track an event (name: 1-64 of a-z 0-9 _ . : -). */
    public static void track(String name) {
        track(name, (Map<String, ?>) null);
    }

    /** Track an event with properties (at most 8 KiB of JSON). */
    public static void track(String name, Map<String, ?> props) {
        Client c = client("track");
        if (c != null) c.track(name, mapToJson(props));
    }

    /** Track an event with properties from a Bundle (e.g. Kotlin's bundleOf). */
    public static void track(String name, Bundle props) {
        Client c = client("track");
        if (c != null) c.track(name, bundleToJson(props));
    }

    /** A purchase in USD. */
    public static void trackPurchase(String productId, double amount) {
        trackPurchase(productId, amount, "USD");
    }

    /** A purchase (amount in the given ISO 4217 currency). */
    public static void trackPurchase(String productId, double amount, String currency) {
        Map<String, Object> props = new HashMap<>();
        props.put("product_id", productId);
        props.put("amount", amount);
        props.put("currency", currency);
        track("purchase", props);
    }

    public static void trackAdWatched() {
        track("ad_watched");
    }

    /** An ad watched, with properties such as ad_network or reward. */
    public static void trackAdWatched(Map<String, ?> props) {
        track("ad_watched", props);
    }

    public static void trackFeatureUsed(String feature) {
        track("feature_used", Collections.singletonMap("feature", feature));
    }

    public static void trackPageView(String page) {
        track("page_view", Collections.singletonMap("page", page));
    }

    public static void trackSessionStart() {
        Client c = client("trackSessionStart");
        if (c != null) c.sessionStart();
    }

    /** Ends the session (with duration_sec when it was started in this process). */
    public static void trackSessionEnd() {
        Client c = client("trackSessionEnd");
        if (c != null) c.sessionEnd();
    }

    /** Ad revenue of one impression in USD (POST /sdk/revenue). */
    public static void trackAdRevenue(String adType, String adNetwork, double revenue) {
        trackAdRevenue(adType, adNetwork, revenue, null, null, null);
    }

    /** Ad revenue with eCPM, geo tier (tier1|tier2|tier3) and country; nulls are left out. */
    public static void trackAdRevenue(
            String adType, String adNetwork, double revenue, Double ecpm, String geoTier, String country) {
        Client c = client("trackAdRevenue");
        if (c == null) return;
        JSONObject body = new JSONObject();
        try {
            body.put("ad_type", adType);
            if (adNetwork != null) body.put("ad_network", adNetwork);
            body.put("revenue", revenue);
            if (ecpm != null) body.put("ecpm", ecpm.doubleValue());
            if (geoTier != null) body.put("geo_tier", geoTier);
            if (country != null) body.put("country", country);
        } catch (JSONException e) {
            Log.e(TAG, "trackAdRevenue: " + e.getMessage());
            return;
        }
        c.enqueueCall("/sdk/revenue", body);
    }

    /** Store the device's Firebase token (sent now, or when the server is reachable). */
    public static void updateFcmToken(String token) {
        Client c = client("updateFcmToken");
        if (c != null && token != null && token.length() > 0) c.updateFcmToken(token);
    }

    // --- feature flags -----------------------------------------------------------------------

    /** Whether the flag is on for this device (false when unknown). */
    public static boolean isEnabled(String flagKey) {
        return isEnabled(flagKey, false);
    }

    /** Whether the flag is on; defaultValue when the flag is not known (yet). */
    public static boolean isEnabled(String flagKey, boolean defaultValue) {
        Client c = client;
        if (c == null) return defaultValue;
        JSONObject flag = c.flag(flagKey);
        return flag == null ? defaultValue : flag.optBoolean("enabled", defaultValue);
    }

    /** The variant key of an enabled multivariate flag, else null. */
    public static String getVariant(String flagKey) {
        return getVariant(flagKey, null);
    }

    public static String getVariant(String flagKey, String defaultVariant) {
        Client c = client;
        JSONObject flag = c == null ? null : c.flag(flagKey);
        if (flag == null || !flag.optBoolean("enabled", false) || flag.isNull("variant")) return defaultVariant;
        return flag.optString("variant", defaultVariant);
    }

    /** The value of an enabled multivariate flag's variant (String, Number, Boolean, JSONObject, JSONArray). */
    public static Object getValue(String flagKey) {
        return getValue(flagKey, (Object) null);
    }

    /** The variant's value when the flag is on and the value has defaultValue's type; else defaultValue. */
    public static <T> T getValue(String flagKey, T defaultValue) {
        Client c = client;
        JSONObject flag = c == null ? null : c.flag(flagKey);
        if (flag == null || !flag.optBoolean("enabled", false) || flag.isNull("value")) return defaultValue;
        return coerce(flag.opt("value"), defaultValue);
    }

    /** Fetch the flags now (If-None-Match: an unchanged set answers 304). */
    public static void refreshFlags() {
        refreshFlags(null);
    }

    /** Fetch the flags now; the callback gets true when the server answered 200 or 304. */
    public static void refreshFlags(Callback<Boolean> callback) {
        Client c = client("refreshFlags");
        if (c != null) c.refreshFlags(callback);
        else if (callback != null) callback.onResult(false);
    }

    // --- profile and ad strategy -------------------------------------------------------------

    /** The device's profile as last fetched (segment, counters, ad_strategy, ...), or null. */
    public static JSONObject getProfile() {
        Client c = client;
        return c == null ? null : copy(c.profile());
    }

    /** The profile segment (NEW_USER, ACTIVE_USER, POWER_USER, ...), or null before the first fetch. */
    public static String getSegment() {
        JSONObject p = getProfile();
        return p == null || p.isNull("segment") ? null : p.optString("segment", null);
    }

    /** The segment's ad strategy (an empty object before the first fetch). */
    public static JSONObject getAdStrategy() {
        JSONObject p = getProfile();
        JSONObject s = p == null ? null : p.optJSONObject("ad_strategy");
        return s == null ? new JSONObject() : s;
    }

    public static boolean getAdStrategyBoolean(String key, boolean defaultValue) {
        return getAdStrategy().optBoolean(key, defaultValue);
    }

    public static int getAdStrategyInt(String key, int defaultValue) {
        return getAdStrategy().optInt(key, defaultValue);
    }

    /** Fetch the profile now; the callback gets it (or null when the server could not answer). */
    public static void refreshProfile(Callback<JSONObject> callback) {
        Client c = client("refreshProfile");
        if (c != null) c.refreshProfile(callback);
        else if (callback != null) callback.onResult(null);
    }

    // --- cross-promotion ---------------------------------------------------------------------

    /** The cross-promotion campaign to show this device, or null (GET /sdk/crosspromo). */
    public static void getCrossPromo(Callback<JSONObject> callback) {
        Client c = client("getCrossPromo");
        if (c != null) c.crossPromo(callback);
        else if (callback != null) callback.onResult(null);
    }

    /** Record an impression, click or install of a campaign (POST /sdk/crosspromo/track). */
    public static void trackCrossPromo(long campaignId, String event) {
        Client c = client("trackCrossPromo");
        if (c == null) return;
        if (!"impression".equals(event) && !"click".equals(event) && !"install".equals(event)) {
            Log.e(TAG, "trackCrossPromo: event must be impression, click or install");
            return;
        }
        JSONObject body = new JSONObject();
        try {
            body.put("campaign_id", campaignId);
            body.put("event", event);
        } catch (JSONException e) {
            return;
        }
        c.enqueueCall("/sdk/crosspromo/track", body);
    }

    // --- flag evaluation (the platform's, API.md section 6) -----------------------------------

    /** crc32(utf8(flagKey + ":" + androidId)) % 100: the device's rollout bucket. */
    public static int bucket(String flagKey, String androidId) {
        return (int) (crc32(flagKey + ":" + androidId) % 100);
    }

    /** crc32(utf8(flagKey + ":" + androidId + ":variant")) % totalWeight. */
    public static long variantPick(String flagKey, String androidId, long totalWeight) {
        return crc32(flagKey + ":" + androidId + ":variant") % totalWeight;
    }

    /**
     * What the server answers for one flag ({"enabled", "type", "variant"?, "value"?}), given whether
     * it is on and its targeting matches (isEnabled), its rollout and its variants [{key, value,
     * weight}] (null or empty: a boolean flag). For previewing a rollout; the SDK itself reads the
     * server's evaluation.
     */
    public static JSONObject evaluateFlag(
            String flagKey, String androidId, boolean isEnabled, int rolloutPct, JSONArray variants) {
        boolean multivariate = variants != null && variants.length() > 0;
        JSONObject out = new JSONObject();
        try {
            out.put("type", multivariate ? "multivariate" : "boolean");
            boolean on = isEnabled && rolloutPct > 0 && bucket(flagKey, androidId) < rolloutPct;
            out.put("enabled", on);
            if (on && multivariate) {
                long total = 0;
                for (int i = 0; i < variants.length(); i++) total += variants.getJSONObject(i).getLong("weight");
                long pick = variantPick(flagKey, androidId, total);
                long edge = 0;
                for (int i = 0; i < variants.length(); i++) {
                    JSONObject v = variants.getJSONObject(i);
                    edge += v.getLong("weight");
                    if (edge > pick) {
                        out.put("variant", v.getString("key"));
                        out.put("value", v.opt("value"));
                        break;
                    }
                }
            }
        } catch (JSONException e) {
            throw new IllegalArgumentException("variants must be [{key, value, weight}]", e);
        }
        return out;
    }

    /** CRC-32 of the UTF-8 text (the hash of flag evaluation). */
    public static long crc32(String text) {
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(UTF8));
        return crc.getValue();
    }

    // --- helpers -----------------------------------------------------------------------------

    private static Client client(String call) {
        Client c = client;
        if (c == null) Log.w(TAG, call + ": Vaimanasoft.init() was not called (or shutdown() was)");
        return c;
    }

    @SuppressWarnings("unchecked")
    static <T> T coerce(Object value, T defaultValue) {
        if (defaultValue == null) return (T) value;
        if (defaultValue instanceof Double || defaultValue instanceof Float) {
            if (!(value instanceof Number)) return defaultValue;
            Object d = defaultValue instanceof Double
                    ? (Object) ((Number) value).doubleValue()
                    : (Object) ((Number) value).floatValue();
            return (T) d;
        }
        if (defaultValue instanceof Integer || defaultValue instanceof Long) {
            if (!(value instanceof Number)) return defaultValue;
            double d = ((Number) value).doubleValue();
            if (d != Math.rint(d)) return defaultValue;
            Object n = defaultValue instanceof Integer ? (Object) ((Number) value).intValue() : (Object) ((Number) value).longValue();
            return (T) n;
        }
        return defaultValue.getClass().isInstance(value) ? (T) value : defaultValue;
    }

    static JSONObject copy(JSONObject o) {
        if (o == null) return null;
        try {
            return new JSONObject(o.toString());
        } catch (JSONException e) {
            return null;
        }
    }

    static JSONObject mapToJson(Map<String, ?> props) {
        JSONObject out = new JSONObject();
        if (props == null) return out;
        for (Map.Entry<String, ?> e : props.entrySet()) {
            if (e.getKey() != null) putJson(out, e.getKey(), e.getValue());
        }
        return out;
    }

    static JSONObject bundleToJson(Bundle bundle) {
        JSONObject out = new JSONObject();
        if (bundle == null) return out;
        for (String key : bundle.keySet()) putJson(out, key, bundle.get(key));
        return out;
    }

    private static void putJson(JSONObject out, String key, Object value) {
        try {
            out.put(key, toJson(value));
        } catch (JSONException e) { // NaN or infinite numbers
            try {
                out.put(key, String.valueOf(value));
            } catch (JSONException ignored) {
                // a key org.json refuses: left out
            }
        }
    }

    private static Object toJson(Object value) {
        if (value == null) return JSONObject.NULL;
        if (value instanceof JSONObject || value instanceof JSONArray || value instanceof String
                || value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof Double) {
            return value;
        }
        if (value instanceof Float || value instanceof Short || value instanceof Byte) {
            return value instanceof Float ? (Object) ((Float) value).doubleValue() : (Object) ((Number) value).intValue();
        }
        if (value instanceof Number || value instanceof Character || value instanceof CharSequence) {
            return value.toString();
        }
        if (value instanceof Bundle) return bundleToJson((Bundle) value);
        if (value instanceof Map) {
            JSONObject o = new JSONObject();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) putJson(o, String.valueOf(e.getKey()), e.getValue());
            return o;
        }
        if (value instanceof Collection || value instanceof Object[]) {
            JSONArray a = new JSONArray();
            Iterable<?> items = value instanceof Collection ? (Collection<?>) value : java.util.Arrays.asList((Object[]) value);
            for (Object item : items) {
                Object j = toJson(item);
                a.put(j instanceof Double && (((Double) j).isNaN() || ((Double) j).isInfinite()) ? String.valueOf(j) : j);
            }
            return a;
        }
        if (value instanceof Date) return iso(((Date) value).getTime());
        return String.valueOf(value);
    }

    private static final ThreadLocal<SimpleDateFormat> ISO = new ThreadLocal<SimpleDateFormat>() {
        @Override
        protected SimpleDateFormat initialValue() {
            SimpleDateFormat f = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.US);
            f.setTimeZone(TimeZone.getTimeZone("UTC"));
            return f;
        }
    };

    static String iso(long millis) {
        return ISO.get().format(new Date(millis));
    }

    // --- the client: all mutable state, touched on its one background thread ---------------------

    static final int SENT = 0, DROP = 1, RETRY = 2;

    static final class Response {
        final int status; // -1: no answer (network error)
        final String body;
        final String retryAfter;
        final String etag;
        final String error;

        Response(int status, String body, String retryAfter, String etag, String error) {
            this.status = status;
            this.body = body;
            this.retryAfter = retryAfter;
            this.etag = etag;
            this.error = error;
        }

        int outcome() {
            if (status >= 200 && status < 300 || status == 304) return SENT;
            if (status == 429 || status < 0 || status >= 500 || status < 400) return RETRY;
            return DROP;
        }

        JSONObject json() {
            try {
                return body == null || body.length() == 0 ? new JSONObject() : new JSONObject(body);
            } catch (JSONException e) {
                return new JSONObject();
            }
        }

        String describe() {
            return status < 0 ? "no answer (" + error + ")" : "HTTP " + status + (body == null ? "" : " " + body);
        }
    }

    static final class Client implements ComponentCallbacks2 {
        final Context context;
        final String sdkKey;
        final Options options;
        final String baseUrl;
        final String name;
        final ScheduledThreadPoolExecutor executor;
        final Random random = new Random();
        final ConcurrentLinkedQueue<String> incoming = new ConcurrentLinkedQueue<>();
        final AtomicBoolean drainQueued = new AtomicBoolean();
        final AtomicBoolean flagsQueued = new AtomicBoolean();

        volatile Map<String, JSONObject> flags = Collections.emptyMap();
        volatile long flagsCheckedAt;
        volatile JSONObject profile;
        volatile int queued;
        volatile long sessionStartedAt;

        // Background thread only (set up by boot(), the thread's first task: no disk access in init).
        SharedPreferences prefs;
        Store store;
        String androidId;
        String flagsEtag;
        String registeredAs;
        boolean registrationRefused;
        boolean profileWanted = true;
        long nextAttemptAt;
        int failures;
        ScheduledFuture<?> retry;
        ScheduledFuture<?> timer;

        Client(Context context, String sdkKey, Options options) {
            this.context = context;
            this.sdkKey = sdkKey;
            this.options = options;
            String base = options.baseUrl == null ? DEFAULT_BASE_URL : options.baseUrl.trim();
            while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
            this.baseUrl = base;
            this.name = "vaimanasoft." + sdkKey.replaceAll("[^A-Za-z0-9_]", "_");
            this.executor = new ScheduledThreadPoolExecutor(1, new ThreadFactory() {
                @Override
                public Thread newThread(Runnable r) {
                    Thread t = new Thread(r, "vaimanasoft-io");
                    t.setDaemon(true);
                    return t;
                }
            });
            this.executor.setRemoveOnCancelPolicy(true);
            this.executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        }

        void start() {
            context.registerComponentCallbacks(this);
            submit(new Runnable() {
                @Override
                public void run() {
                    boot();
                }
            });
            timer = executor.scheduleWithFixedDelay(new Runnable() {
                @Override
                public void run() {
                    drain();
                    if (store.size() > 0 || registeredAs == null) cycle();
                }
            }, options.flushIntervalMs, options.flushIntervalMs, TimeUnit.MILLISECONDS);
        }

        void stop() {
            context.unregisterComponentCallbacks(this);
            if (timer != null) timer.cancel(false);
            submit(new Runnable() {
                @Override
                public void run() {
                    drain();
                    cycle();
                }
            });
            executor.shutdown();
        }

        void submit(Runnable task) {
            try {
                executor.execute(new Guarded(task));
            } catch (RejectedExecutionException e) {
                Log.w(TAG, "the SDK is shut down");
            }
        }

        /** Runs a task, logging instead of killing the thread on an unexpected error. */
        static final class Guarded implements Runnable {
            final Runnable task;

            Guarded(Runnable task) {
                this.task = task;
            }

            @Override
            public void run() {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    Log.e(TAG, "unexpected error", e);
                }
            }
        }

        // ---- state on disk ----

        void boot() {
            prefs = context.getSharedPreferences(name, Context.MODE_PRIVATE);
            store = new Store(new File(new File(context.getFilesDir(), "vaimanasoft"), name + ".queue"));
            androidId = resolveAndroidId();
            registeredAs = prefs.getString("registered_as", null);
            String cachedFor = prefs.getString("cache_android_id", null);
            if (androidId.equals(cachedFor)) {
                flags = parseFlags(prefs.getString("flags", null));
                flagsEtag = flags.isEmpty() ? null : prefs.getString("flags_etag", null);
                profile = parseObject(prefs.getString("profile", null));
            }
            store.load();
            store.trim(options.maxQueueSize);
            queued = store.size();
            // Registered first, so that flags are evaluated with the device's country and app version.
            boolean registered = ensureRegistered();
            fetchFlags(null);
            if (registered) cycle();
        }

        String resolveAndroidId() {
            String id = options.androidId;
            if (id != null && ANDROID_ID.matcher(id).matches()) return id;
            if (id != null) Log.e(TAG, "Options.androidId must be 1-128 of A-Z a-z 0-9 . _ : - (ignored)");
            try {
                id = Settings.Secure.getString(context.getContentResolver(), Settings.Secure.ANDROID_ID);
            } catch (RuntimeException e) {
                id = null;
            }
            if (id != null && ANDROID_ID.matcher(id).matches() && !SHARED_ANDROID_ID.equals(id)) return id;
            String stored = prefs.getString("random_id", null);
            if (stored == null) {
                stored = UUID.randomUUID().toString().replace("-", "");
                prefs.edit().putString("random_id", stored).commit();
            }
            return stored;
        }

        // ---- events and calls ----

        void track(String name, JSONObject data) {
            if (name == null || !EVENT_TYPE.matcher(name).matches()) {
                Log.e(TAG, "track: event name must be 1-64 of a-z 0-9 _ . : - (got " + name + "); dropped");
                return;
            }
            if (data.toString().getBytes(UTF8).length > MAX_EVENT_DATA_BYTES) {
                Log.e(TAG, "track: properties of " + name + " exceed 8 KiB of JSON; dropped");
                return;
            }
            JSONObject event = new JSONObject();
            try {
                event.put("event_type", name);
                event.put("event_data", data);
                event.put("created_at", iso(System.currentTimeMillis()));
                event.put("event_id", UUID.randomUUID().toString());
            } catch (JSONException e) {
                return;
            }
            incoming.add(event.toString());
            queueDrain();
        }

        void enqueueCall(String path, JSONObject body) {
            JSONObject item = new JSONObject();
            try {
                item.put("call", path);
                item.put("body", body);
            } catch (JSONException e) {
                return;
            }
            incoming.add(item.toString());
            queueDrain();
        }

        void sessionStart() {
            sessionStartedAt = System.currentTimeMillis();
            track("session_start", new JSONObject());
        }

        void sessionEnd() {
            JSONObject data = new JSONObject();
            long started = sessionStartedAt;
            if (started > 0) {
                try {
                    data.put("duration_sec", (System.currentTimeMillis() - started) / 1000);
                } catch (JSONException ignored) {
                    // a long always fits
                }
                sessionStartedAt = 0;
            }
            track("session_end", data);
        }

        void queueDrain() {
            if (drainQueued.compareAndSet(false, true)) {
                submit(new Runnable() {
                    @Override
                    public void run() {
                        drain();
                        if (store.size() >= options.maxBatchSize) cycle();
                    }
                });
            }
        }

        /** Move what track() handed over into the stored queue (one write). */
        void drain() {
            drainQueued.set(false);
            List<String> lines = new ArrayList<>();
            for (String line = incoming.poll(); line != null; line = incoming.poll()) lines.add(line);
            if (lines.isEmpty()) return;
            store.append(lines);
            store.trim(options.maxQueueSize);
            queued = store.size();
        }

        void flush() {
            submit(new Runnable() {
                @Override
                public void run() {
                    drain();
                    cycle();
                }
            });
        }

        int queueSize() {
            return queued + incoming.size();
        }

        /** Register if needed, send a pending FCM token, then the stored queue in order. */
        void cycle() {
            if (System.currentTimeMillis() < nextAttemptAt) return; // the scheduled retry will run it
            if (!ensureRegistered() || !sendFcmToken()) return;
            if (profileWanted) fetchProfile(null);
            while (store.size() > 0) {
                Store.Request next = store.next(options.maxBatchSize, MAX_BATCH_BYTES, androidId);
                Response r = request("POST", next.path, next.body, null);
                int outcome = r.outcome();
                if (outcome == RETRY) {
                    backoff(r);
                    return;
                }
                if (outcome == DROP) Log.w(TAG, "dropped " + next.count + " item(s) of " + next.path + ": " + r.describe());
                succeeded();
                store.removeFirst(next.count);
                queued = store.size();
            }
        }

        boolean ensureRegistered() {
            String as = androidId + "|" + appVersion();
            if (as.equals(registeredAs) || registrationRefused) return true;
            Response r = request("POST", "/devices/register", deviceInfo(), null);
            int outcome = r.outcome();
            if (outcome == RETRY) {
                backoff(r);
                return false;
            }
            succeeded();
            if (outcome == DROP) {
                Log.w(TAG, "registration refused: " + r.describe());
                registrationRefused = true; // events still create the device; try again next launch
                return true;
            }
            registeredAs = as;
            profileWanted = true;
            SharedPreferences.Editor e = prefs.edit().putString("registered_as", as);
            if (prefs.getString("fcm_token", null) != null) e.putBoolean("fcm_sent", true);
            e.commit();
            return true;
        }

        void updateFcmToken(final String token) {
            submit(new Runnable() {
                @Override
                public void run() {
                    if (token.equals(prefs.getString("fcm_token", null)) && prefs.getBoolean("fcm_sent", false)) return;
                    prefs.edit().putString("fcm_token", token).putBoolean("fcm_sent", false).commit();
                    cycle();
                }
            });
        }

        boolean sendFcmToken() {
            String token = prefs.getString("fcm_token", null);
            if (token == null || prefs.getBoolean("fcm_sent", false)) return true;
            JSONObject body = new JSONObject();
            try {
                body.put("android_id", androidId);
                body.put("fcm_token", token);
            } catch (JSONException e) {
                return true;
            }
            Response r = request("POST", "/devices/fcm-token", body, null);
            int outcome = r.outcome();
            if (outcome == RETRY) {
                backoff(r);
                return false;
            }
            succeeded();
            if (r.status == 404) { // the server lost the device (erased): register again, with the token
                registeredAs = null;
                prefs.edit().remove("registered_as").commit();
                return ensureRegistered();
            }
            if (outcome == DROP) Log.w(TAG, "FCM token refused: " + r.describe());
            prefs.edit().putBoolean("fcm_sent", true).commit();
            return true;
        }

        void succeeded() {
            failures = 0;
        }

        /** Wait before the next attempt: Retry-After on a 429, else exponential with equal jitter. */
        void backoff(Response r) {
            long delay = -1;
            if (r.status == 429 && r.retryAfter != null) {
                try {
                    delay = Long.parseLong(r.retryAfter.trim()) * 1000L;
                    delay += random.nextInt(250); // never earlier than asked; spread the herd a little
                } catch (NumberFormatException ignored) {
                    delay = -1;
                }
            }
            if (delay < 0) {
                long cap = options.retryBaseMs << Math.min(failures, 20);
                cap = Math.min(options.retryMaxMs, cap);
                delay = cap / 2 + (long) (random.nextDouble() * (cap / 2 + 1));
                failures++;
            }
            Log.w(TAG, "send failed (" + r.describe() + "); retrying in " + delay + " ms");
            nextAttemptAt = System.currentTimeMillis() + delay;
            if (retry != null) retry.cancel(false);
            try {
                retry = executor.schedule(new Guarded(new Runnable() {
                    @Override
                    public void run() {
                        drain();
                        cycle();
                    }
                }), delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // shutting down: the stored queue is sent at the next launch
            }
        }

        JSONObject deviceInfo() {
            JSONObject info = new JSONObject();
            try {
                info.put("android_id", androidId);
                putText(info, "brand", Build.BRAND);
                putText(info, "model", Build.MODEL);
                putText(info, "android_version", Build.VERSION.RELEASE);
                putText(info, "app_version", appVersion());
                String country = Locale.getDefault().getCountry();
                if (country != null && country.matches("^[A-Za-z]{2}$")) info.put("country", country);
                info.put("install_type", "com.android.vending".equals(installer()) ? "store" : "organic");
                String token = prefs.getString("fcm_token", null);
                if (token != null) info.put("fcm_token", token);
            } catch (JSONException ignored) {
                // strings always fit
            }
            return info;
        }

        static void putText(JSONObject o, String key, String value) throws JSONException {
            if (value != null && value.length() > 0) o.put(key, value.length() > 255 ? value.substring(0, 255) : value);
        }

        @SuppressWarnings("deprecation") // getPackageInfo(String, int): PackageInfoFlags needs API 33
        String appVersion() {
            try {
                PackageInfo info = context.getPackageManager().getPackageInfo(context.getPackageName(), 0);
                return info.versionName;
            } catch (PackageManager.NameNotFoundException | RuntimeException e) {
                return null;
            }
        }

        @SuppressWarnings("deprecation")
        String installer() {
            try {
                return context.getPackageManager().getInstallerPackageName(context.getPackageName());
            } catch (RuntimeException e) {
                return null;
            }
        }

        // ---- flags ----

        JSONObject flag(String key) {
            long now = System.currentTimeMillis();
            if (now - flagsCheckedAt >= options.flagsTtlMs && flagsQueued.compareAndSet(false, true)) {
                submit(new Runnable() {
                    @Override
                    public void run() {
                        flagsQueued.set(false);
                        if (System.currentTimeMillis() - flagsCheckedAt >= options.flagsTtlMs) fetchFlags(null);
                    }
                });
            }
            return flags.get(key);
        }

        void refreshFlags(final Callback<Boolean> callback) {
            submit(new Runnable() {
                @Override
                public void run() {
                    fetchFlags(callback);
                }
            });
        }

        void fetchFlags(Callback<Boolean> callback) {
            Response r = request("GET", "/sdk/flags?android_id=" + encode(androidId), null, flagsEtag);
            flagsCheckedAt = System.currentTimeMillis();
            boolean ok = r.status == 200 || r.status == 304;
            JSONObject body = r.status == 200 ? r.json().optJSONObject("flags") : null;
            if (body != null) {
                String text = body.toString();
                flags = parseFlags(text);
                flagsEtag = r.etag;
                prefs.edit()
                        .putString("cache_android_id", androidId)
                        .putString("flags", text)
                        .putString("flags_etag", r.etag)
                        .commit();
            } else if (r.status != 304) {
                Log.w(TAG, "flags not refreshed (" + r.describe() + "); using the cached ones");
            }
            if (callback != null) deliver(callback, ok);
        }

        static Map<String, JSONObject> parseFlags(String text) {
            JSONObject all = parseObject(text);
            if (all == null) return Collections.emptyMap();
            Map<String, JSONObject> out = new HashMap<>();
            for (Iterator<String> keys = all.keys(); keys.hasNext(); ) {
                String key = keys.next();
                JSONObject f = all.optJSONObject(key);
                if (f != null) out.put(key, f);
            }
            return Collections.unmodifiableMap(out);
        }

        // ---- profile, cross-promotion ----

        JSONObject profile() {
            return profile;
        }

        void refreshProfile(final Callback<JSONObject> callback) {
            submit(new Runnable() {
                @Override
                public void run() {
                    fetchProfile(callback);
                }
            });
        }

        void fetchProfile(Callback<JSONObject> callback) {
            Response r = request("GET", "/sdk/profile?android_id=" + encode(androidId), null, null);
            JSONObject p = r.status == 200 ? r.json().optJSONObject("profile") : null;
            if (r.outcome() != RETRY) profileWanted = false;
            if (p != null) {
                profile = p;
                prefs.edit().putString("cache_android_id", androidId).putString("profile", p.toString()).commit();
            } else if (r.status != 404) {
                Log.w(TAG, "profile not refreshed: " + r.describe());
            }
            if (callback != null) deliver(callback, p == null ? null : copy(p));
        }

        void crossPromo(final Callback<JSONObject> callback) {
            submit(new Runnable() {
                @Override
                public void run() {
                    Response r = request("GET", "/sdk/crosspromo?android_id=" + encode(androidId), null, null);
                    JSONObject campaign = r.status == 200 ? r.json().optJSONObject("campaign") : null;
                    if (r.status != 200) Log.w(TAG, "cross-promotion not available: " + r.describe());
                    if (callback != null) deliver(callback, campaign);
                }
            });
        }

        static <T> void deliver(Callback<T> callback, T value) {
            try {
                callback.onResult(value);
            } catch (RuntimeException e) {
                Log.e(TAG, "callback failed", e);
            }
        }

        // ---- HTTP ----

        Response request(String method, String path, JSONObject body, String ifNoneMatch) {
            HttpURLConnection c = null;
            try {
                c = (HttpURLConnection) new URL(baseUrl + path).openConnection();
                c.setConnectTimeout(options.connectTimeoutMs);
                c.setReadTimeout(options.readTimeoutMs);
                c.setInstanceFollowRedirects(false);
                c.setUseCaches(false);
                c.setRequestMethod(method);
                c.setRequestProperty("X-SDK-Key", sdkKey);
                c.setRequestProperty("Accept", "application/json");
                c.setRequestProperty("User-Agent", "vaimanasoft-android/" + VERSION);
                if (ifNoneMatch != null) c.setRequestProperty("If-None-Match", ifNoneMatch);
                if (body != null) {
                    byte[] bytes = body.toString().getBytes(UTF8);
                    c.setDoOutput(true);
                    c.setFixedLengthStreamingMode(bytes.length);
                    c.setRequestProperty("Content-Type", "application/json");
                    OutputStream out = c.getOutputStream();
                    try {
                        out.write(bytes);
                    } finally {
                        out.close();
                    }
                }
                int status = c.getResponseCode();
                InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
                String text = in == null ? "" : readBounded(in);
                if (options.debug) Log.d(TAG, method + " " + path + " -> " + status);
                return new Response(status, text, c.getHeaderField("Retry-After"), c.getHeaderField("ETag"), null);
            } catch (IOException | RuntimeException e) {
                if (c != null) c.disconnect();
                if (options.debug) Log.d(TAG, method + " " + path + " -> " + e);
                return new Response(-1, null, null, null, e.toString());
            }
        }

        static String readBounded(InputStream in) throws IOException {
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buffer = new byte[8192];
                for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
                    if (out.size() + n > MAX_RESPONSE_BYTES) throw new IOException("response larger than 1 MiB");
                    out.write(buffer, 0, n);
                }
                return new String(out.toByteArray(), UTF8);
            } finally {
                in.close();
            }
        }

        static String encode(String value) {
            try {
                return URLEncoder.encode(value, "UTF-8");
            } catch (java.io.UnsupportedEncodingException e) {
                throw new IllegalStateException(e);
            }
        }

        static JSONObject parseObject(String text) {
            if (text == null) return null;
            try {
                return new JSONObject(text);
            } catch (JSONException e) {
                return null;
            }
        }

        // ---- app lifecycle (ComponentCallbacks2 on the main thread: hand over, no I/O) ----

        @Override
        public void onTrimMemory(int level) {
            if (level >= TRIM_MEMORY_UI_HIDDEN) flush(); // the app's UI went to the background
        }

        @Override
        public void onConfigurationChanged(Configuration newConfig) {}

        @Override
        public void onLowMemory() {}
    }

    /** The stored queue: one JSON item per line in a file, rewritten atomically when items leave. */
    static final class Store {
        final File file;
        final List<String> items = new ArrayList<>();

        Store(File file) {
            this.file = file;
        }

        static final class Request {
            final String path;
            final JSONObject body;
            final int count;

            Request(String path, JSONObject body, int count) {
                this.path = path;
                this.body = body;
                this.count = count;
            }
        }

        int size() {
            return items.size();
        }

        void load() {
            items.clear();
            if (!file.exists()) return;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(file), UTF8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (Client.parseObject(line) != null) items.add(line); // a torn last line is skipped
                }
            } catch (IOException e) {
                Log.e(TAG, "could not read the stored events", e);
            }
        }

        void append(List<String> lines) {
            items.addAll(lines);
            StringBuilder text = new StringBuilder();
            for (String line : lines) text.append(line).append('\n');
            file.getParentFile().mkdirs();
            try (FileOutputStream out = new FileOutputStream(file, true)) {
                out.write(text.toString().getBytes(UTF8));
                out.getFD().sync();
            } catch (IOException e) {
                Log.e(TAG, "could not store events (they stay in memory)", e);
            }
        }

        void removeFirst(int n) {
            items.subList(0, Math.min(n, items.size())).clear();
            rewrite();
        }

        void trim(int max) {
            if (items.size() <= max) return;
            int drop = items.size() - max;
            Log.w(TAG, "more than " + max + " items stored: dropping the " + drop + " oldest");
            removeFirst(drop);
        }

        void rewrite() {
            File tmp = new File(file.getPath() + ".tmp");
            file.getParentFile().mkdirs();
            try (FileOutputStream out = new FileOutputStream(tmp)) {
                StringBuilder text = new StringBuilder();
                for (String line : items) text.append(line).append('\n');
                out.write(text.toString().getBytes(UTF8));
                out.getFD().sync();
            } catch (IOException e) {
                Log.e(TAG, "could not rewrite the stored events", e);
                return;
            }
            if (!tmp.renameTo(file)) Log.e(TAG, "could not replace " + file);
        }

        /** The next request: the first item if it is a call, else up to maxEvents events in a batch. */
        Request next(int maxEvents, int maxBytes, String androidId) {
            JSONObject first = Client.parseObject(items.get(0));
            try {
                if (first != null && first.has("call")) {
                    JSONObject body = first.getJSONObject("body");
                    body.put("android_id", androidId);
                    return new Request(first.getString("call"), body, 1);
                }
                JSONArray events = new JSONArray();
                int bytes = 0;
                int count = 0;
                while (count < items.size() && count < maxEvents) {
                    String line = items.get(count);
                    JSONObject event = Client.parseObject(line);
                    if (event == null || event.has("call")) break;
                    int size = line.getBytes(UTF8).length;
                    if (count > 0 && bytes + size > maxBytes) break;
                    event.put("android_id", androidId);
                    events.put(event);
                    bytes += size;
                    count++;
                }
                JSONObject body = new JSONObject();
                body.put("events", events);
                body.put("sent_at", iso(System.currentTimeMillis()));
                return new Request("/events/batch", body, Math.max(count, 1));
            } catch (JSONException e) {
                return new Request("/events/batch", new JSONObject(), 1); // unreadable: the server's 400 drops it
            }
        }
    }
}
