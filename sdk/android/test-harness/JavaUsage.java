// The README's Android quick start as Java code: compiled (not run) by the tests.
import android.content.Context;
import com.vaimanasoft.Vaimanasoft;
import java.util.HashMap;
import java.util.Map;

final class JavaUsage {
    static void quickStart(Context app, String token) {
        Vaimanasoft.init(app, "sk_your_sdk_key", "https://analytics.example.com/api/v4");
        Map<String, Object> props = new HashMap<>();
        props.put("button", "subscribe");
        Vaimanasoft.track("button_clicked", props);
        Vaimanasoft.trackPurchase("premium_monthly", 9.99);
        Vaimanasoft.trackAdWatched();
        Vaimanasoft.trackAdRevenue("rewarded", "admob", 0.0035);
        if (Vaimanasoft.isEnabled("new_onboarding")) System.out.println("new onboarding");
        String color = Vaimanasoft.getVariant("cta_color");
        String headline = Vaimanasoft.getValue("promo_headline", "Welcome!");
        Vaimanasoft.refreshFlags(ok -> System.out.println(ok + " " + color + " " + headline));
        Vaimanasoft.refreshProfile(profile -> System.out.println(Vaimanasoft.getSegment()));
        Vaimanasoft.updateFcmToken(token);
        Vaimanasoft.getCrossPromo(campaign -> System.out.println(campaign));
        Vaimanasoft.shutdown();
    }
}
