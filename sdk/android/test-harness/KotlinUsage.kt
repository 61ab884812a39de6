// The README's Android quick start as Kotlin code: compiled (not run) by the tests, so the
// Kotlin-facing API (named and default arguments, lambdas for callbacks) stays as documented.
import android.content.Context
import android.os.Bundle
import com.vaimanasoft.Vaimanasoft

fun quickStart(app: Context, token: String) {
    Vaimanasoft.init(app, "sk_your_sdk_key", "https://analytics.example.com/api/v4")
    Vaimanasoft.init(app, "sk_your_sdk_key")
    Vaimanasoft.init(app, "sk_your_sdk_key", Vaimanasoft.Options().apply { flushIntervalMs = 10000 })

    val props = Bundle() // bundleOf("button" to "subscribe") in an app with androidx.core
    props.putString("button", "subscribe")
    Vaimanasoft.track("button_clicked", props)
    Vaimanasoft.track("button_clicked", mapOf("button" to "subscribe"))
    Vaimanasoft.track("app_opened")
    Vaimanasoft.trackPurchase("premium_monthly", amount = 9.99)
    Vaimanasoft.trackPurchase("premium_monthly", amount = 9.99, currency = "EUR")
    Vaimanasoft.trackAdWatched()
    Vaimanasoft.trackFeatureUsed("dark_mode")
    Vaimanasoft.trackPageView("settings")
    Vaimanasoft.trackSessionStart()
    Vaimanasoft.trackSessionEnd()
    Vaimanasoft.trackAdRevenue("rewarded", "admob", 0.0035, ecpm = 3.5, geoTier = "tier3", country = "IN")
    Vaimanasoft.flush()

    if (Vaimanasoft.isEnabled("new_onboarding")) println("new onboarding")
    val color: String? = Vaimanasoft.getVariant("cta_color")
    val headline: String = Vaimanasoft.getValue("promo_headline", defaultValue = "Welcome!")
    val limit: Int = Vaimanasoft.getValue("daily_limit", defaultValue = 3)
    Vaimanasoft.refreshFlags { ok -> println("flags refreshed: $ok, $color, $headline, $limit") }
    Vaimanasoft.refreshFlags()

    val segment: String? = Vaimanasoft.getSegment()
    val interstitials: Boolean = Vaimanasoft.getAdStrategyBoolean("interstitial_enabled", false)
    val cooldown: Int = Vaimanasoft.getAdStrategyInt("ad_cooldown_sec", 60)
    Vaimanasoft.refreshProfile { profile -> println("$segment $interstitials $cooldown $profile") }

    Vaimanasoft.updateFcmToken(token)
    Vaimanasoft.getCrossPromo { campaign -> if (campaign != null) Vaimanasoft.trackCrossPromo(campaign.getLong("id"), "impression") }
    Vaimanasoft.shutdown()
}
