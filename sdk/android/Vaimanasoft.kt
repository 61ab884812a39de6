/*
 * Vaimanasoft Android SDK (Kotlin), API v4. Copy this one file into your app's sources (keep or change
 * the package line); no Gradle dependency: it uses only Android SDK classes, java.net and org.json.
 *
 *   Vaimanasoft.init(this, "sk_your_sdk_key", "https://analytics.example.com/api/v4")
 *   Vaimanasoft.track("button_clicked", bundleOf("button" to "subscribe"))
 *   if (Vaimanasoft.isEnabled("new_onboarding")) { ... }
 *
 * Events are kept in a file in the app's storage until the server took them, sent in batches of at
 * most 50 (when 50 are waiting, every flushIntervalMs, when the app goes to the background, and on
 * flush()), each with a random event_id (so a retried batch is stored once) and the batch's sent_at.
 * A failed send is retried with exponential backoff and jitter; a 429 waits for its Retry-After; any
 * other 4xx drops the batch (logged). All network and disk work runs on one background thread; the
 * public functions only hand work to it and read in-memory state, so they are safe on the main
 * thread. Callbacks run on that background thread.
 */
package com.vaimanasoft

import android.content.ComponentCallbacks2
import android.content.Context
import android.content.SharedPreferences
import android.content.res.Configuration
import android.os.Build
import android.os.Bundle
import android.provider.Settings
import android.util.Log
import org.json.JSONArray
import org.json.JSONException
import org.json.JSONObject
import java.io.ByteArrayOutputStream
import java.io.File
import java.io.FileOutputStream
import java.io.IOException
import java.io.InputStream
import java.net.HttpURLConnection
import java.net.URL
import java.net.URLEncoder
import java.text.SimpleDateFormat
import java.util.Date
import java.util.Locale
import java.util.Random
import java.util.TimeZone
import java.util.UUID
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.RejectedExecutionException
import java.util.concurrent.ScheduledFuture
import java.util.concurrent.ScheduledThreadPoolExecutor
import java.util.concurrent.ThreadFactory
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.zip.CRC32

object Vaimanasoft {
    const val VERSION = "4.0.0"
    const val DEFAULT_BASE_URL = "https://vaimanasoft.com/api/v4"

    private const val TAG = "Vaimanasoft"
    private val EVENT_TYPE = Regex("^[a-z0-9_.:-]{1,64}$")
    private val ANDROID_ID = Regex("^[A-Za-z0-9._:-]{1,128}$")
    private val COUNTRY = Regex("^[A-Za-z]{2}$")
    /** Settings.Secure.ANDROID_ID of many devices of one buggy Android 2.2 build: not unique. */
    private const val SHARED_ANDROID_ID = "9774d56d682e549c"
    private const val MAX_EVENT_DATA_BYTES = 8 * 1024
    /** Below the server's 256 KiB limit for SDK routes, with room for the envelope. */
    private const val MAX_BATCH_BYTES = 200 * 1024
    private const val MAX_RESPONSE_BYTES = 1024 * 1024

    /** Settings for init(); the defaults suit production. */
    class Options {
        /** The platform's API base, ending in /api/v4. */
        @JvmField var baseUrl: String = DEFAULT_BASE_URL
        /** Events per request, 1..50. */
        @JvmField var maxBatchSize: Int = 50
        /** How often waiting events are sent. */
        @JvmField var flushIntervalMs: Long = 30000
        /** How long fetched flags count as fresh (a read after that refreshes them in the background). */
        @JvmField var flagsTtlMs: Long = 60000
        /** First retry delay; doubled per failure (with jitter) up to retryMaxMs. */
        @JvmField var retryBaseMs: Long = 1000
        @JvmField var retryMaxMs: Long = 5 * 60 * 1000L
        /** Events and calls kept on the device while offline; the oldest are dropped beyond it. */
        @JvmField var maxQueueSize: Int = 10000
        @JvmField var connectTimeoutMs: Int = 10000
        @JvmField var readTimeoutMs: Int = 15000
        /** The device id sent as android_id; default Settings.Secure.ANDROID_ID (or a stored random id). */
        @JvmField var androidId: String? = null
        /** Log every request (Log.d). */
        @JvmField var debug: Boolean = false

        internal fun copy(): Options {
            val o = Options()
            o.baseUrl = baseUrl
            o.maxBatchSize = maxBatchSize.coerceIn(1, 50)
            o.flushIntervalMs = flushIntervalMs.coerceAtLeast(100)
            o.flagsTtlMs = flagsTtlMs.coerceAtLeast(0)
            o.retryBaseMs = retryBaseMs.coerceAtLeast(1)
            o.retryMaxMs = retryMaxMs.coerceAtLeast(o.retryBaseMs)
            o.maxQueueSize = maxQueueSize.coerceAtLeast(1)
            o.connectTimeoutMs = connectTimeoutMs
            o.readTimeoutMs = readTimeoutMs
            o.androidId = androidId
            o.debug = debug
            return o
        }
    }

    /** A result delivered on the SDK's background thread (from Kotlin, pass a lambda instead). */
    interface Callback<T> {
        fun onResult(result: T)
    }

    private val LOCK = Any()
    @Volatile private var client: Client? = null

    // --- lifecycle ---------------------------------------------------------------------------

    /** Start the SDK against the default base URL (call once, in Application.onCreate). */
    @JvmStatic
    fun init(context: Context, sdkKey: String) = init(context, sdkKey, Options())

    /** Start the SDK against a self-hosted platform (baseUrl ends in /api/v4). */
    @JvmStatic
    fun init(context: Context, sdkKey: String, baseUrl: String) =
        init(context, sdkKey, Options().also { it.baseUrl = baseUrl })

    /** Start the SDK with options. A second init without shutdown() is ignored. */
    @JvmStatic
    fun init(context: Context, sdkKey: String, options: Options) {
        if (sdkKey.length == 0) {
            Log.e(TAG, "init: sdkKey is required")
            return
        }
        synchronized(LOCK) {
            if (client != null) {
                Log.w(TAG, "init: already initialised (call shutdown() first to start again)")
                return
            }
            val started = Client(context.applicationContext ?: context, sdkKey, options.copy())
            client = started
            started.start()
        }
    }

    /** Send what is waiting, then stop the background thread (events left over stay stored). */
    @JvmStatic
    fun shutdown() {
        val c = synchronized(LOCK) { client.also { client = null } }
        c?.stop()
    }

    /** Send the waiting events now (unless a retry is pending: then at its time). */
    @JvmStatic
    fun flush() {
        client("flush")?.flush()
    }

    /** Events and calls stored on the device, waiting to be sent. */
    @JvmStatic
    fun getQueueSize(): Int = client?.queueSize() ?: 0

    // --- events ------------------------------------------------------------------------------

    /** Track an event (name: 1-64 of a-z 0-9 _ . : -) with properties (at most 8 KiB of JSON). */
    @JvmStatic
    @JvmOverloads
    fun track(name: String, props: Map<String, Any?>? = null) {
        client("track")?.track(name, mapToJson(props))
    }

    /** Track an event with properties from a Bundle (e.g. bundleOf("button" to "subscribe")). */
    @JvmStatic
    fun track(name: String, props: Bundle?) {
        client("track")?.track(name, bundleToJson(props))
    }

    /** A purchase (amount in the ISO 4217 currency, USD by default). */
    @JvmStatic
    @JvmOverloads
    fun trackPurchase(productId: String, amount: Double, currency: String = "USD") =
        track("purchase", mapOf("product_id" to productId, "amount" to amount, "currency" to currency))

    /** An ad watched, with properties such as ad_network or reward. */
    @JvmStatic
    @JvmOverloads
    fun trackAdWatched(props: Map<String, Any?>? = null) = track("ad_watched", props)

    @JvmStatic
    fun trackFeatureUsed(feature: String) = track("feature_used", mapOf("feature" to feature))

    @JvmStatic
    fun trackPageView(page: String) = track("page_view", mapOf("page" to page))

    @JvmStatic
    fun trackSessionStart() {
        client("trackSessionStart")?.sessionStart()
    }

    /** Ends the session (with duration_sec when it was started in this process). */
    @JvmStatic
    fun trackSessionEnd() {
        client("trackSessionEnd")?.sessionEnd()
    }

    /** Ad revenue of one impression in USD (POST /sdk/revenue); geoTier tier1|tier2|tier3; nulls are left out. */
    @JvmStatic
    @JvmOverloads
    fun trackAdRevenue(
        adType: String,
        adNetwork: String?,
        revenue: Double,
        ecpm: Double? = null,
        geoTier: String? = null,
        country: String? = null
    ) {
        val c = client("trackAdRevenue") ?: return
        val body = JSONObject()
        body.put("ad_type", adType)
        if (adNetwork != null) body.put("ad_network", adNetwork)
        body.put("revenue", revenue)
        if (ecpm != null) body.put("ecpm", ecpm)
        if (geoTier != null) body.put("geo_tier", geoTier)
        if (country != null) body.put("country", country)
        c.enqueueCall("/sdk/revenue", body)
    }

    /** Store the device's Firebase token (sent now, or when the server is reachable). */
    @JvmStatic
    fun updateFcmToken(token: String) {
        if (token.isNotEmpty()) client("updateFcmToken")?.updateFcmToken(token)
    }

    // --- feature flags -----------------------------------------------------------------------

    /** Whether the flag is on for this device; defaultValue when the flag is not known (yet). */
    @JvmStatic
    @JvmOverloads
    fun isEnabled(flagKey: String, defaultValue: Boolean = false): Boolean {
        val flag = client?.flag(flagKey) ?: return defaultValue
        return flag.optBoolean("enabled", defaultValue)
    }

    /** The variant key of an enabled multivariate flag, else defaultVariant. */
    @JvmStatic
    @JvmOverloads
    fun getVariant(flagKey: String, defaultVariant: String? = null): String? {
        val flag = client?.flag(flagKey)
        if (flag == null || !flag.optBoolean("enabled", false) || flag.isNull("variant")) return defaultVariant
        return flag.optString("variant", defaultVariant)
    }

    /** The value of an enabled multivariate flag's variant (String, Number, Boolean, JSONObject, JSONArray). */
    @JvmStatic
    fun getValue(flagKey: String): Any? = getValue(flagKey, null as Any?)

    /** The variant's value when the flag is on and the value has defaultValue's type; else defaultValue. */
    @JvmStatic
    fun <T> getValue(flagKey: String, defaultValue: T): T {
        val flag = client?.flag(flagKey)
        if (flag == null || !flag.optBoolean("enabled", false) || flag.isNull("value")) return defaultValue
        return coerce(flag.opt("value"), defaultValue)
    }

    /** Fetch the flags now (If-None-Match: an unchanged set answers 304). */
    @JvmStatic
    fun refreshFlags() = refreshFlags(null as Callback<Boolean>?)

    /** Fetch the flags now; the callback gets true when the server answered 200 or 304. */
    @JvmStatic
    fun refreshFlags(callback: Callback<Boolean>?) {
        val c = client("refreshFlags")
        if (c != null) c.refreshFlags(callback) else callback?.onResult(false)
    }

    @JvmSynthetic // for Kotlin lambdas; Java passes a Callback (a lambda there too)
    fun refreshFlags(callback: (Boolean) -> Unit) = refreshFlags(lambda(callback))

    // --- profile and ad strategy -------------------------------------------------------------

    /** The device's profile as last fetched (segment, counters, ad_strategy, ...), or null. */
    @JvmStatic
    fun getProfile(): JSONObject? = copy(client?.profile)

    /** The profile segment (NEW_USER, ACTIVE_USER, POWER_USER, ...), or null before the first fetch. */
    @JvmStatic
    fun getSegment(): String? {
        val p = getProfile() ?: return null
        return if (p.isNull("segment")) null else p.optString("segment", null)
    }

    /** The segment's ad strategy (an empty object before the first fetch). */
    @JvmStatic
    fun getAdStrategy(): JSONObject = getProfile()?.optJSONObject("ad_strategy") ?: JSONObject()

    @JvmStatic
    fun getAdStrategyBoolean(key: String, defaultValue: Boolean): Boolean =
        getAdStrategy().optBoolean(key, defaultValue)

    @JvmStatic
    fun getAdStrategyInt(key: String, defaultValue: Int): Int = getAdStrategy().optInt(key, defaultValue)

    /** Fetch the profile now; the callback gets it (or null when the server could not answer). */
    @JvmStatic
    fun refreshProfile(callback: Callback<JSONObject?>?) {
        val c = client("refreshProfile")
        if (c != null) c.refreshProfile(callback) else callback?.onResult(null)
    }

    @JvmSynthetic // for Kotlin lambdas; Java passes a Callback (a lambda there too)
    fun refreshProfile(callback: (JSONObject?) -> Unit) = refreshProfile(lambda(callback))

    // --- cross-promotion ---------------------------------------------------------------------

    /** The cross-promotion campaign to show this device, or null (GET /sdk/crosspromo). */
    @JvmStatic
    fun getCrossPromo(callback: Callback<JSONObject?>) {
        val c = client("getCrossPromo")
        if (c != null) c.crossPromo(callback) else callback.onResult(null)
    }

    @JvmSynthetic // for Kotlin lambdas; Java passes a Callback (a lambda there too)
    fun getCrossPromo(callback: (JSONObject?) -> Unit) = getCrossPromo(lambda(callback))

    /** Record an impression, click or install of a campaign (POST /sdk/crosspromo/track). */
    @JvmStatic
    fun trackCrossPromo(campaignId: Long, event: String) {
        val c = client("trackCrossPromo") ?: return
        if (event != "impression" && event != "click" && event != "install") {
            Log.e(TAG, "trackCrossPromo: event must be impression, click or install")
            return
        }
        c.enqueueCall("/sdk/crosspromo/track", JSONObject().put("campaign_id", campaignId).put("event", event))
    }

    // --- flag evaluation (the platform's, API.md section 6) -----------------------------------

    /** crc32(utf8(flagKey + ":" + androidId)) % 100: the device's rollout bucket. */
    @JvmStatic
    fun bucket(flagKey: String, androidId: String): Int = (crc32("$flagKey:$androidId") % 100).toInt()

    /** crc32(utf8(flagKey + ":" + androidId + ":variant")) % totalWeight. */
    @JvmStatic
    fun variantPick(flagKey: String, androidId: String, totalWeight: Long): Long =
        crc32("$flagKey:$androidId:variant") % totalWeight

    /**
     * What the server answers for one flag ({"enabled", "type", "variant"?, "value"?}), given whether
     * it is on and its targeting matches (isEnabled), its rollout and its variants [{key, value,
     * weight}] (null or empty: a boolean flag). For previewing a rollout; the SDK itself reads the
     * server's evaluation.
     */
    @JvmStatic
    fun evaluateFlag(
        flagKey: String,
        androidId: String,
        isEnabled: Boolean,
        rolloutPct: Int,
        variants: JSONArray?
    ): JSONObject {
        val multivariate = variants != null && variants.length() > 0
        val on = isEnabled && rolloutPct > 0 && bucket(flagKey, androidId) < rolloutPct
        val out = JSONObject().put("type", if (multivariate) "multivariate" else "boolean").put("enabled", on)
        if (on && variants != null && multivariate) {
            var total = 0L
            for (i in 0 until variants.length()) total += variants.getJSONObject(i).getLong("weight")
            val pick = variantPick(flagKey, androidId, total)
            var edge = 0L
            for (i in 0 until variants.length()) {
                val v = variants.getJSONObject(i)
                edge += v.getLong("weight")
                if (edge > pick) {
                    out.put("variant", v.getString("key"))
                    out.put("value", v.opt("value"))
                    break
                }
            }
        }
        return out
    }

    /** CRC-32 of the UTF-8 text (the hash of flag evaluation). */
    @JvmStatic
    fun crc32(text: String): Long {
        val crc = CRC32()
        crc.update(text.toByteArray(Charsets.UTF_8))
        return crc.value
    }

    // --- helpers -----------------------------------------------------------------------------

    private fun client(call: String): Client? {
        val c = client
        if (c == null) Log.w(TAG, "$call: Vaimanasoft.init() was not called (or shutdown() was)")
        return c
    }

    private fun <T> lambda(f: (T) -> Unit): Callback<T> = object : Callback<T> {
        override fun onResult(result: T) = f(result)
    }

    @Suppress("UNCHECKED_CAST")
    private fun <T> coerce(value: Any?, defaultValue: T): T {
        if (defaultValue == null) return value as T
        return when (defaultValue) {
            is Double -> if (value is Number) value.toDouble() as T else defaultValue
            is Float -> if (value is Number) value.toFloat() as T else defaultValue
            is Int -> if (isWhole(value)) (value as Number).toInt() as T else defaultValue
            is Long -> if (isWhole(value)) (value as Number).toLong() as T else defaultValue
            else -> if ((defaultValue as Any).javaClass.isInstance(value)) value as T else defaultValue
        }
    }

    private fun isWhole(value: Any?) = value is Number && value.toDouble() == Math.rint(value.toDouble())

    private fun copy(o: JSONObject?): JSONObject? = try {
        if (o == null) null else JSONObject(o.toString())
    } catch (e: JSONException) {
        null
    }

    private fun mapToJson(props: Map<String, Any?>?): JSONObject {
        val out = JSONObject()
        props?.forEach { (key, value) -> putJson(out, key, value) }
        return out
    }

    @Suppress("DEPRECATION") // Bundle.get(String): the one typeless read, for any value type
    private fun bundleToJson(bundle: Bundle?): JSONObject {
        val out = JSONObject()
        if (bundle != null) for (key in bundle.keySet()) putJson(out, key, bundle.get(key))
        return out
    }

    private fun putJson(out: JSONObject, key: String, value: Any?) {
        try {
            out.put(key, toJson(value))
        } catch (e: JSONException) { // NaN or infinite numbers
            try {
                out.put(key, value.toString())
            } catch (ignored: JSONException) {
                // a key org.json refuses: left out
            }
        }
    }

    private fun toJson(value: Any?): Any = when (value) {
        null -> JSONObject.NULL
        is JSONObject, is JSONArray, is String, is Boolean, is Int, is Long, is Double -> value
        is Float -> value.toDouble()
        is Short -> value.toInt()
        is Byte -> value.toInt()
        is Number, is Char, is CharSequence -> value.toString()
        is Bundle -> bundleToJson(value)
        is Map<*, *> -> JSONObject().also { o -> value.forEach { (k, v) -> putJson(o, k.toString(), v) } }
        is Collection<*> -> jsonArray(value)
        is Array<*> -> jsonArray(value.asList())
        is Date -> iso(value.time)
        else -> value.toString()
    }

    private fun jsonArray(items: Collection<*>): JSONArray {
        val a = JSONArray()
        for (item in items) {
            val j = toJson(item)
            a.put(if (j is Double && (j.isNaN() || j.isInfinite())) j.toString() else j)
        }
        return a
    }

    private val ISO = object : ThreadLocal<SimpleDateFormat>() {
        override fun initialValue(): SimpleDateFormat {
            val f = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.US)
            f.timeZone = TimeZone.getTimeZone("UTC")
            return f
        }
    }

    private fun iso(millis: Long): String = ISO.get()!!.format(Date(millis))

    private fun parseObject(text: String?): JSONObject? = try {
        if (text == null) null else JSONObject(text)
    } catch (e: JSONException) {
        null
    }

    // --- the client: all mutable state, touched on its one background thread ---------------------

    private enum class Outcome { SENT, DROP, RETRY }

    private class Response(
        val status: Int, // -1: no answer (network error)
        val body: String?,
        val retryAfter: String?,
        val etag: String?,
        val error: String?
    ) {
        val outcome: Outcome
            get() = when {
                status in 200..299 || status == 304 -> Outcome.SENT
                status == 429 || status < 0 || status >= 500 || status < 400 -> Outcome.RETRY
                else -> Outcome.DROP
            }

        fun json(): JSONObject = parseObject(if (body.isNullOrEmpty()) "{}" else body) ?: JSONObject()

        fun describe(): String = if (status < 0) "no answer ($error)" else "HTTP $status ${body ?: ""}"
    }

    private class Client(val context: Context, val sdkKey: String, val options: Options) : ComponentCallbacks2 {
        val baseUrl: String = options.baseUrl.trim().trimEnd('/')
        val name = "vaimanasoft." + sdkKey.replace(Regex("[^A-Za-z0-9_]"), "_")
        val executor = ScheduledThreadPoolExecutor(1, ThreadFactory { r ->
            Thread(r, "vaimanasoft-io").also { it.isDaemon = true }
        })
        val random = Random()
        val incoming = ConcurrentLinkedQueue<String>()
        val drainQueued = AtomicBoolean()
        val flagsQueued = AtomicBoolean()

        @Volatile var flags: Map<String, JSONObject> = emptyMap()
        @Volatile var flagsCheckedAt = 0L
        @Volatile var profile: JSONObject? = null
        @Volatile var queued = 0
        @Volatile var sessionStartedAt = 0L

        // Background thread only (set up by boot(), the thread's first task: no disk access in init).
        lateinit var prefs: SharedPreferences
        lateinit var store: Store
        var androidId = ""
        var flagsEtag: String? = null
        var registeredAs: String? = null
        var registrationRefused = false
        var profileWanted = true
        var nextAttemptAt = 0L
        var failures = 0
        var retry: ScheduledFuture<*>? = null
        var timer: ScheduledFuture<*>? = null

        init {
            executor.removeOnCancelPolicy = true
            executor.executeExistingDelayedTasksAfterShutdownPolicy = false
        }

        fun start() {
            context.registerComponentCallbacks(this)
            submit { boot() }
            timer = executor.scheduleWithFixedDelay(guarded {
                drain()
                if (store.size() > 0 || registeredAs == null) cycle()
            }, options.flushIntervalMs, options.flushIntervalMs, TimeUnit.MILLISECONDS)
        }

        fun stop() {
            context.unregisterComponentCallbacks(this)
            timer?.cancel(false)
            submit {
                drain()
                cycle()
            }
            executor.shutdown()
        }

        fun submit(task: () -> Unit) {
            try {
                executor.execute(guarded(task))
            } catch (e: RejectedExecutionException) {
                Log.w(TAG, "the SDK is shut down")
            }
        }

        /** Runs a task, logging instead of killing the thread on an unexpected error. */
        fun guarded(task: () -> Unit) = Runnable {
            try {
                task()
            } catch (e: RuntimeException) {
                Log.e(TAG, "unexpected error", e)
            }
        }

        // ---- state on disk ----

        fun boot() {
            prefs = context.getSharedPreferences(name, Context.MODE_PRIVATE)
            store = Store(File(File(context.filesDir, "vaimanasoft"), "$name.queue"))
            androidId = resolveAndroidId()
            registeredAs = prefs.getString("registered_as", null)
            if (androidId == prefs.getString("cache_android_id", null)) {
                flags = parseFlags(prefs.getString("flags", null))
                flagsEtag = if (flags.isEmpty()) null else prefs.getString("flags_etag", null)
                profile = parseObject(prefs.getString("profile", null))
            }
            store.load()
            store.trim(options.maxQueueSize)
            queued = store.size()
            // Registered first, so that flags are evaluated with the device's country and app version.
            val registered = ensureRegistered()
            fetchFlags(null)
            if (registered) cycle()
        }

        fun resolveAndroidId(): String {
            val given = options.androidId
            if (given != null && ANDROID_ID.matches(given)) return given
            if (given != null) Log.e(TAG, "Options.androidId must be 1-128 of A-Z a-z 0-9 . _ : - (ignored)")
            val secure = try {
                Settings.Secure.getString(context.contentResolver, Settings.Secure.ANDROID_ID)
            } catch (e: RuntimeException) {
                null
            }
            if (secure != null && ANDROID_ID.matches(secure) && secure != SHARED_ANDROID_ID) return secure
            val stored = prefs.getString("random_id", null)
            if (stored != null) return stored
            val generated = UUID.randomUUID().toString().replace("-", "")
            prefs.edit().putString("random_id", generated).commit()
            return generated
        }

        // ---- events and calls ----

        fun track(name: String, data: JSONObject) {
            if (!EVENT_TYPE.matches(name)) {
                Log.e(TAG, "track: event name must be 1-64 of a-z 0-9 _ . : - (got $name); dropped")
                return
            }
            if (data.toString().toByteArray(Charsets.UTF_8).size > MAX_EVENT_DATA_BYTES) {
                Log.e(TAG, "track: properties of $name exceed 8 KiB of JSON; dropped")
                return
            }
            val event = JSONObject()
                .put("event_type", name)
                .put("event_data", data)
                .put("created_at", iso(System.currentTimeMillis()))
                .put("event_id", UUID.randomUUID().toString())
            incoming.add(event.toString())
            queueDrain()
        }

        fun enqueueCall(path: String, body: JSONObject) {
            incoming.add(JSONObject().put("call", path).put("body", body).toString())
            queueDrain()
        }

        fun sessionStart() {
            sessionStartedAt = System.currentTimeMillis()
            track("session_start", JSONObject())
        }

        fun sessionEnd() {
            val data = JSONObject()
            val started = sessionStartedAt
            if (started > 0) {
                data.put("duration_sec", (System.currentTimeMillis() - started) / 1000)
                sessionStartedAt = 0
            }
            track("session_end", data)
        }

        fun queueDrain() {
            if (drainQueued.compareAndSet(false, true)) {
                submit {
                    drain()
                    if (store.size() >= options.maxBatchSize) cycle()
                }
            }
        }

        /** Move what track() handed over into the stored queue (one write). */
        fun drain() {
            drainQueued.set(false)
            val lines = ArrayList<String>()
            while (true) lines.add(incoming.poll() ?: break)
            if (lines.isEmpty()) return
            store.append(lines)
            store.trim(options.maxQueueSize)
            queued = store.size()
        }

        fun flush() = submit {
            drain()
            cycle()
        }

        fun queueSize(): Int = queued + incoming.size

        /** Register if needed, send a pending FCM token, then the stored queue in order. */
        fun cycle() {
            if (System.currentTimeMillis() < nextAttemptAt) return // the scheduled retry will run it
            if (!ensureRegistered() || !sendFcmToken()) return
            if (profileWanted) fetchProfile(null)
            while (store.size() > 0) {
                val next = store.next(options.maxBatchSize, MAX_BATCH_BYTES, androidId)
                val r = request("POST", next.path, next.body, null)
                when (r.outcome) {
                    Outcome.RETRY -> {
                        backoff(r)
                        return
                    }
                    Outcome.DROP -> Log.w(TAG, "dropped ${next.count} item(s) of ${next.path}: ${r.describe()}")
                    Outcome.SENT -> Unit
                }
                failures = 0
                store.removeFirst(next.count)
                queued = store.size()
            }
        }

        fun ensureRegistered(): Boolean {
            val who = "$androidId|${appVersion()}"
            if (who == registeredAs || registrationRefused) return true
            val r = request("POST", "/devices/register", deviceInfo(), null)
            if (r.outcome == Outcome.RETRY) {
                backoff(r)
                return false
            }
            failures = 0
            if (r.outcome == Outcome.DROP) {
                Log.w(TAG, "registration refused: ${r.describe()}")
                registrationRefused = true // events still create the device; try again next launch
                return true
            }
            registeredAs = who
            profileWanted = true
            val e = prefs.edit().putString("registered_as", who)
            if (prefs.getString("fcm_token", null) != null) e.putBoolean("fcm_sent", true)
            e.commit()
            return true
        }

        fun updateFcmToken(token: String) = submit {
            if (token != prefs.getString("fcm_token", null) || !prefs.getBoolean("fcm_sent", false)) {
                prefs.edit().putString("fcm_token", token).putBoolean("fcm_sent", false).commit()
                cycle()
            }
        }

        fun sendFcmToken(): Boolean {
            val token = prefs.getString("fcm_token", null)
            if (token == null || prefs.getBoolean("fcm_sent", false)) return true
            val body = JSONObject().put("android_id", androidId).put("fcm_token", token)
            val r = request("POST", "/devices/fcm-token", body, null)
            if (r.outcome == Outcome.RETRY) {
                backoff(r)
                return false
            }
            failures = 0
            if (r.status == 404) { // the server lost the device (erased): register again, with the token
                registeredAs = null
                prefs.edit().remove("registered_as").commit()
                return ensureRegistered()
            }
            if (r.outcome == Outcome.DROP) Log.w(TAG, "FCM token refused: ${r.describe()}")
            prefs.edit().putBoolean("fcm_sent", true).commit()
            return true
        }

        /** Wait before the next attempt: Retry-After on a 429, else exponential with equal jitter. */
        fun backoff(r: Response) {
            var delay = -1L
            if (r.status == 429 && r.retryAfter != null) {
                delay = try {
                    // never earlier than asked; spread the herd a little
                    r.retryAfter.trim().toLong() * 1000L + random.nextInt(250)
                } catch (e: NumberFormatException) {
                    -1L
                }
            }
            if (delay < 0) {
                val cap = Math.min(options.retryMaxMs, options.retryBaseMs shl Math.min(failures, 20))
                delay = cap / 2 + (random.nextDouble() * (cap / 2 + 1)).toLong()
                failures++
            }
            Log.w(TAG, "send failed (${r.describe()}); retrying in $delay ms")
            nextAttemptAt = System.currentTimeMillis() + delay
            retry?.cancel(false)
            retry = try {
                executor.schedule(guarded {
                    drain()
                    cycle()
                }, delay, TimeUnit.MILLISECONDS)
            } catch (e: RejectedExecutionException) {
                null // shutting down: the stored queue is sent at the next launch
            }
        }

        fun deviceInfo(): JSONObject {
            val info = JSONObject().put("android_id", androidId)
            putText(info, "brand", Build.BRAND)
            putText(info, "model", Build.MODEL)
            putText(info, "android_version", Build.VERSION.RELEASE)
            putText(info, "app_version", appVersion())
            val country = Locale.getDefault().country
            if (country != null && COUNTRY.matches(country)) info.put("country", country)
            info.put("install_type", if (installer() == "com.android.vending") "store" else "organic")
            val token = prefs.getString("fcm_token", null)
            if (token != null) info.put("fcm_token", token)
            return info
        }

        fun putText(o: JSONObject, key: String, value: String?) {
            if (!value.isNullOrEmpty()) o.put(key, if (value.length > 255) value.substring(0, 255) else value)
        }

        @Suppress("DEPRECATION") // getPackageInfo(String, int): PackageInfoFlags needs API 33
        fun appVersion(): String? = try {
            context.packageManager.getPackageInfo(context.packageName, 0).versionName
        } catch (e: Exception) {
            null
        }

        @Suppress("DEPRECATION")
        fun installer(): String? = try {
            context.packageManager.getInstallerPackageName(context.packageName)
        } catch (e: RuntimeException) {
            null
        }

        // ---- flags ----

        fun flag(key: String): JSONObject? {
            if (System.currentTimeMillis() - flagsCheckedAt >= options.flagsTtlMs && flagsQueued.compareAndSet(false, true)) {
                submit {
                    flagsQueued.set(false)
                    if (System.currentTimeMillis() - flagsCheckedAt >= options.flagsTtlMs) fetchFlags(null)
                }
            }
            return flags[key]
        }

        fun refreshFlags(callback: Callback<Boolean>?) = submit { fetchFlags(callback) }

        fun fetchFlags(callback: Callback<Boolean>?) {
            val r = request("GET", "/sdk/flags?android_id=" + encode(androidId), null, flagsEtag)
            flagsCheckedAt = System.currentTimeMillis()
            val body = if (r.status == 200) r.json().optJSONObject("flags") else null
            if (body != null) {
                val text = body.toString()
                flags = parseFlags(text)
                flagsEtag = r.etag
                prefs.edit()
                    .putString("cache_android_id", androidId)
                    .putString("flags", text)
                    .putString("flags_etag", r.etag)
                    .commit()
            } else if (r.status != 304) {
                Log.w(TAG, "flags not refreshed (${r.describe()}); using the cached ones")
            }
            if (callback != null) deliver(callback, r.status == 200 || r.status == 304)
        }

        fun parseFlags(text: String?): Map<String, JSONObject> {
            val all = parseObject(text) ?: return emptyMap()
            val out = HashMap<String, JSONObject>()
            for (key in all.keys()) all.optJSONObject(key)?.let { out[key] = it }
            return out
        }

        // ---- profile, cross-promotion ----

        fun refreshProfile(callback: Callback<JSONObject?>?) = submit { fetchProfile(callback) }

        fun fetchProfile(callback: Callback<JSONObject?>?) {
            val r = request("GET", "/sdk/profile?android_id=" + encode(androidId), null, null)
            val p = if (r.status == 200) r.json().optJSONObject("profile") else null
            if (r.outcome != Outcome.RETRY) profileWanted = false
            if (p != null) {
                profile = p
                prefs.edit().putString("cache_android_id", androidId).putString("profile", p.toString()).commit()
            } else if (r.status != 404) {
                Log.w(TAG, "profile not refreshed: ${r.describe()}")
            }
            if (callback != null) deliver(callback, copy(p))
        }

        fun crossPromo(callback: Callback<JSONObject?>) = submit {
            val r = request("GET", "/sdk/crosspromo?android_id=" + encode(androidId), null, null)
            if (r.status != 200) Log.w(TAG, "cross-promotion not available: ${r.describe()}")
            deliver(callback, if (r.status == 200) r.json().optJSONObject("campaign") else null)
        }

        fun <T> deliver(callback: Callback<T>, value: T) {
            try {
                callback.onResult(value)
            } catch (e: RuntimeException) {
                Log.e(TAG, "callback failed", e)
            }
        }

        // ---- HTTP ----

        fun request(method: String, path: String, body: JSONObject?, ifNoneMatch: String?): Response {
            var c: HttpURLConnection? = null
            return try {
                c = URL(baseUrl + path).openConnection() as HttpURLConnection
                c.connectTimeout = options.connectTimeoutMs
                c.readTimeout = options.readTimeoutMs
                c.instanceFollowRedirects = false
                c.useCaches = false
                c.requestMethod = method
                c.setRequestProperty("X-SDK-Key", sdkKey)
                c.setRequestProperty("Accept", "application/json")
                c.setRequestProperty("User-Agent", "vaimanasoft-android/$VERSION")
                if (ifNoneMatch != null) c.setRequestProperty("If-None-Match", ifNoneMatch)
                if (body != null) {
                    val bytes = body.toString().toByteArray(Charsets.UTF_8)
                    c.doOutput = true
                    c.setFixedLengthStreamingMode(bytes.size)
                    c.setRequestProperty("Content-Type", "application/json")
                    c.outputStream.use { it.write(bytes) }
                }
                val status = c.responseCode
                val stream: InputStream? = if (status >= 400) c.errorStream else c.inputStream
                val text = if (stream == null) "" else readBounded(stream)
                if (options.debug) Log.d(TAG, "$method $path -> $status")
                Response(status, text, c.getHeaderField("Retry-After"), c.getHeaderField("ETag"), null)
            } catch (e: IOException) {
                c?.disconnect()
                if (options.debug) Log.d(TAG, "$method $path -> $e")
                Response(-1, null, null, null, e.toString())
            } catch (e: RuntimeException) {
                c?.disconnect()
                Response(-1, null, null, null, e.toString())
            }
        }

        fun readBounded(input: InputStream): String = input.use { stream ->
            val out = ByteArrayOutputStream()
            val buffer = ByteArray(8192)
            while (true) {
                val n = stream.read(buffer)
                if (n == -1) break
                if (out.size() + n > MAX_RESPONSE_BYTES) throw IOException("response larger than 1 MiB")
                out.write(buffer, 0, n)
            }
            String(out.toByteArray(), Charsets.UTF_8)
        }

        fun encode(value: String): String = URLEncoder.encode(value, "UTF-8")

        // ---- app lifecycle (ComponentCallbacks2 on the main thread: hand over, no I/O) ----

        override fun onTrimMemory(level: Int) {
            if (level >= ComponentCallbacks2.TRIM_MEMORY_UI_HIDDEN) flush() // the UI went to the background
        }

        override fun onConfigurationChanged(newConfig: Configuration) {}

        override fun onLowMemory() {}
    }

    private class Request(val path: String, val body: JSONObject, val count: Int)

    /** The stored queue: one JSON item per line in a file, rewritten atomically when items leave. */
    private class Store(val file: File) {
        val items = ArrayList<String>()

        fun size() = items.size

        fun load() {
            items.clear()
            if (!file.exists()) return
            try {
                file.bufferedReader(Charsets.UTF_8).useLines { lines ->
                    for (line in lines) if (parseObject(line) != null) items.add(line) // a torn last line is skipped
                }
            } catch (e: IOException) {
                Log.e(TAG, "could not read the stored events", e)
            }
        }

        fun append(lines: List<String>) {
            items.addAll(lines)
            file.parentFile?.mkdirs()
            try {
                FileOutputStream(file, true).use { out ->
                    out.write(lines.joinToString("") { it + "\n" }.toByteArray(Charsets.UTF_8))
                    out.fd.sync()
                }
            } catch (e: IOException) {
                Log.e(TAG, "could not store events (they stay in memory)", e)
            }
        }

        fun removeFirst(n: Int) {
            items.subList(0, Math.min(n, items.size)).clear()
            rewrite()
        }

        fun trim(max: Int) {
            if (items.size <= max) return
            val drop = items.size - max
            Log.w(TAG, "more than $max items stored: dropping the $drop oldest")
            removeFirst(drop)
        }

        fun rewrite() {
            val tmp = File(file.path + ".tmp")
            file.parentFile?.mkdirs()
            try {
                FileOutputStream(tmp).use { out ->
                    out.write(items.joinToString("") { it + "\n" }.toByteArray(Charsets.UTF_8))
                    out.fd.sync()
                }
            } catch (e: IOException) {
                Log.e(TAG, "could not rewrite the stored events", e)
                return
            }
            if (!tmp.renameTo(file)) Log.e(TAG, "could not replace $file")
        }

        /** The next request: the first item if it is a call, else up to maxEvents events in a batch. */
        fun next(maxEvents: Int, maxBytes: Int, androidId: String): Request {
            val first = parseObject(items[0])
            if (first != null && first.has("call")) {
                val body = first.getJSONObject("body").put("android_id", androidId)
                return Request(first.getString("call"), body, 1)
            }
            val events = JSONArray()
            var bytes = 0
            var count = 0
            while (count < items.size && count < maxEvents) {
                val line = items[count]
                val event = parseObject(line)
                if (event == null || event.has("call")) break
                val size = line.toByteArray(Charsets.UTF_8).size
                if (count > 0 && bytes + size > maxBytes) break
                events.put(event.put("android_id", androidId))
                bytes += size
                count++
            }
            val body = JSONObject().put("events", events).put("sent_at", iso(System.currentTimeMillis()))
            return Request("/events/batch", body, Math.max(count, 1))
        }
    }
}
