package android.content.res;

/** Stub of android.content.res.Configuration (passed to onConfigurationChanged only). */
public final class Configuration {}
