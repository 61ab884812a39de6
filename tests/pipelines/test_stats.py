"""A/B-test statistics agree with scipy: Wilson intervals, the z-test, P(beat control), chi-square, SRM."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from pipelines.stats import (
    chi_square_sf,
    lift,
    normal_quantile,
    prob_beat_control,
    srm_p_value,
    two_proportion_z_test,
    wilson_interval,
)

# Derandomized: the same examples every run, so a tolerance met once is met in CI too.
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)
SLOW_PROPERTY = settings(
    max_examples=60, deadline=None, derandomize=True
)  # each example runs a scipy quadrature


@st.composite
def counts(draw: st.DrawFn, min_trials: int = 0, max_trials: int = 10_000) -> tuple[int, int]:
    """(successes, trials) with 0 <= successes <= trials."""
    trials = draw(st.integers(min_trials, max_trials))
    return draw(st.integers(0, trials)), trials


def reference_prob_beat_control(x_c: int, n_c: int, x_v: int, n_v: int) -> float:
    """P(p_v > p_c) = integral of pdf_v(p) * cdf_c(p) over [0, 1], by adaptive quadrature."""
    control = stats.beta(1 + x_c, 1 + n_c - x_c)
    variant = stats.beta(1 + x_v, 1 + n_v - x_v)
    # Narrow posteriors are spikes on [0, 1]: tell quad where they are.
    value, _ = integrate.quad(
        lambda p: variant.pdf(p) * control.cdf(p),
        0.0,
        1.0,
        points=sorted({control.mean(), variant.mean()}),
        epsabs=1e-12,
        epsrel=1e-10,
        limit=500,
    )
    return value


# --- normal quantile -------------------------------------------------------------------------------


@PROPERTY
@given(st.floats(min_value=1e-300, max_value=1.0, exclude_max=True))
def test_normal_quantile__any_probability__matches_scipy_norm_ppf(p: float) -> None:
    # Given a probability / When inverting the normal CDF / Then it is scipy's quantile
    assert normal_quantile(p) == pytest.approx(stats.norm.ppf(p), rel=1e-12, abs=1e-9)


def test_normal_quantile__bounds__infinite() -> None:
    assert normal_quantile(0.0) == -math.inf
    assert normal_quantile(1.0) == math.inf
    assert normal_quantile(0.5) == 0.0


# --- Wilson interval -------------------------------------------------------------------------------


@PROPERTY
@given(counts(min_trials=1), st.sampled_from([0.95, 0.99]))
def test_wilson_interval__any_counts__matches_scipy_binomtest(
    successes_trials: tuple[int, int], confidence: float
) -> None:
    # Given k successes in n trials
    successes, trials = successes_trials
    # When computing the Wilson interval
    interval = wilson_interval(successes, trials, confidence)
    # Then it is scipy's, and it brackets the observed rate
    expected = stats.binomtest(successes, trials).proportion_ci(confidence, method="wilson")
    assert interval is not None
    lo, hi = interval
    assert lo == pytest.approx(expected.low, rel=1e-12, abs=1e-14)
    assert hi == pytest.approx(expected.high, rel=1e-12, abs=1e-14)
    assert 0.0 <= lo <= successes / trials <= hi <= 1.0


@pytest.mark.parametrize(
    ("successes", "trials"),
    [(0, 1), (1, 1), (1, 2), (7, 10), (50, 100), (1, 1_000_000), (999_999, 1_000_000)],
)
@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_wilson_interval__grid__matches_scipy_binomtest(
    successes: int, trials: int, confidence: float
) -> None:
    expected = stats.binomtest(successes, trials).proportion_ci(confidence, method="wilson")
    assert wilson_interval(successes, trials, confidence) == pytest.approx(
        (expected.low, expected.high), rel=1e-12, abs=1e-14
    )


def test_wilson_interval__zero_trials__none() -> None:
    assert wilson_interval(0, 0) is None


def test_wilson_interval__zero_successes__lower_bound_exactly_zero() -> None:
    interval = wilson_interval(0, 50)
    assert interval is not None
    assert interval[0] == 0.0 and 0.0 < interval[1] < 1.0


def test_wilson_interval__all_successes__upper_bound_exactly_one() -> None:
    interval = wilson_interval(50, 50)
    assert interval is not None
    assert 0.0 < interval[0] < 1.0 and interval[1] == 1.0


def test_wilson_interval__higher_confidence__wider() -> None:
    narrow, wide = wilson_interval(30, 100, 0.95), wilson_interval(30, 100, 0.99)
    assert narrow is not None and wide is not None
    assert wide[0] < narrow[0] and narrow[1] < wide[1]


@pytest.mark.parametrize(("successes", "trials", "confidence"), [(-1, 5, 0.95), (6, 5, 0.95), (1, 5, 1.0)])
def test_wilson_interval__impossible_arguments__value_error(
    successes: int, trials: int, confidence: float
) -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes, trials, confidence)


# --- two-proportion z-test -------------------------------------------------------------------------


def reference_z_test(x1: int, n1: int, x2: int, n2: int) -> float:
    """Pooled z statistic, two-sided p-value from scipy's normal survival function."""
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return 2 * stats.norm.sf(abs(z))


def reference_chi_square_2x2(x1: int, n1: int, x2: int, n2: int) -> float:
    """Pearson chi-square on the 2x2 table without Yates' correction: z^2 of the pooled z-test."""
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    return stats.chi2_contingency(table, correction=False).pvalue


@st.composite
def two_groups_mixed_outcomes(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """Two non-empty groups with at least one success and one failure overall (pooled rate in (0, 1))."""
    (x1, n1), (x2, n2) = draw(counts(min_trials=1)), draw(counts(min_trials=1))
    assume(0 < x1 + x2 < n1 + n2)
    return x1, n1, x2, n2


@PROPERTY
@given(two_groups_mixed_outcomes())
def test_two_proportion_z_test__mixed_outcomes__matches_scipy_references(
    groups: tuple[int, int, int, int],
) -> None:
    # Given two groups whose pooled rate is strictly between 0 and 1
    # When testing for a difference in rates
    p = two_proportion_z_test(*groups)
    # Then the p-value is the normal tail of the pooled z, and the uncorrected 2x2 chi-square p-value
    assert p is not None
    assert p == pytest.approx(reference_z_test(*groups), rel=1e-9, abs=1e-300)
    assert p == pytest.approx(reference_chi_square_2x2(*groups), rel=1e-8, abs=1e-300)


def test_two_proportion_z_test__known_case__matches_scipy() -> None:
    # 200/1000 vs 250/1000: z = -2.6774, p = 0.00742
    assert two_proportion_z_test(200, 1000, 250, 1000) == pytest.approx(
        reference_z_test(200, 1000, 250, 1000), rel=1e-12
    )
    assert two_proportion_z_test(200, 1000, 250, 1000) == pytest.approx(0.0074196, abs=1e-7)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(0, 0, 1, 10), (1, 10, 0, 0), (0, 0, 0, 0)])
def test_two_proportion_z_test__empty_group__none(x1: int, n1: int, x2: int, n2: int) -> None:
    assert two_proportion_z_test(x1, n1, x2, n2) is None


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(0, 10, 0, 30), (10, 10, 30, 30), (5, 10, 15, 30)])
def test_two_proportion_z_test__no_difference_or_no_variance__one(x1: int, n1: int, x2: int, n2: int) -> None:
    assert two_proportion_z_test(x1, n1, x2, n2) == 1.0


# --- P(variant beats control) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x_c", "n_c", "x_v", "n_v"),
    [
        (0, 0, 0, 0),
        (0, 0, 1, 1),
        (0, 1, 1, 1),
        (0, 10, 0, 10),
        (10, 10, 0, 10),
        (0, 10, 10, 10),
        (3, 10, 5, 10),
        (1, 2, 0, 5),
        (10, 100, 15, 100),
        (15, 100, 10, 100),
        (50, 1000, 65, 1000),
        (120, 1000, 100, 1000),
        (400, 5000, 450, 5200),
        (2500, 10_000, 2450, 9800),
    ],
)
def test_prob_beat_control__grid__matches_quadrature(x_c: int, n_c: int, x_v: int, n_v: int) -> None:
    assert prob_beat_control(x_c, n_c, x_v, n_v) == pytest.approx(
        reference_prob_beat_control(x_c, n_c, x_v, n_v), abs=1e-6
    )


@SLOW_PROPERTY
@given(counts(max_trials=2000), counts(max_trials=2000))
def test_prob_beat_control__any_small_counts__matches_quadrature(
    control: tuple[int, int], variant: tuple[int, int]
) -> None:
    (x_c, n_c), (x_v, n_v) = control, variant
    assert prob_beat_control(x_c, n_c, x_v, n_v) == pytest.approx(
        reference_prob_beat_control(x_c, n_c, x_v, n_v), abs=1e-6
    )


@PROPERTY
@given(counts(max_trials=20_000), counts(max_trials=20_000))
def test_prob_beat_control__swapped_groups__probabilities_sum_to_one(
    control: tuple[int, int], variant: tuple[int, int]
) -> None:
    # Given two groups / When asking which beats which, both ways round
    forward = prob_beat_control(*control, *variant)
    backward = prob_beat_control(*variant, *control)
    # Then P(A > B) + P(B > A) == 1 (ties have probability zero) and both are probabilities
    assert forward is not None and backward is not None
    assert 0.0 <= forward <= 1.0 and 0.0 <= backward <= 1.0
    assert forward + backward == pytest.approx(1.0, abs=1e-9)  # the closed form's rounding grows with n


@PROPERTY
@given(counts(max_trials=20_000))
def test_prob_beat_control__identical_groups__one_half(group: tuple[int, int]) -> None:
    assert prob_beat_control(*group, *group) == pytest.approx(0.5, abs=1e-9)


def test_prob_beat_control__more_variant_successes__more_likely_to_win() -> None:
    values = [prob_beat_control(100, 1000, x_v, 1000) for x_v in range(80, 121, 5)]
    assert values == sorted(values)


@pytest.mark.timeout(10)
def test_prob_beat_control__million_trials__sane_value_close_to_normal_approximation() -> None:
    # Given 100,000 vs 101,000 conversions out of 1,000,000 each
    # When computing P(variant > control) (a 100,001-term sum)
    p = prob_beat_control(100_000, 1_000_000, 101_000, 1_000_000)
    # Then it is a proper probability, near the normal approximation of the two posteriors
    assert p is not None and 0.0 < p < 1.0
    means = [(1 + x) / (2 + 1_000_000) for x in (100_000, 101_000)]
    sd = math.sqrt(sum(m * (1 - m) / (3 + 1_000_000) for m in means))
    assert p == pytest.approx(stats.norm.cdf((means[1] - means[0]) / sd), abs=1e-3)
    assert p == pytest.approx(0.9906586836367128, abs=1e-11)  # mpmath, 40 digits


@pytest.mark.timeout(10)
def test_prob_beat_control__largest_supported_counts__finishes_with_sane_value() -> None:
    p = prob_beat_control(200_000, 1_000_000, 199_000, 1_000_000)
    assert p is not None
    assert p == pytest.approx(0.03841135651382437, abs=1e-11)  # mpmath, 40 digits


def test_prob_beat_control__impossible_counts__value_error() -> None:
    with pytest.raises(ValueError):
        prob_beat_control(11, 10, 0, 10)


# --- chi-square survival function ------------------------------------------------------------------


@PROPERTY
@given(st.floats(min_value=0.0, max_value=1000.0), st.integers(1, 20))
def test_chi_square_sf__any_statistic__matches_scipy_chi2_sf(statistic: float, dof: int) -> None:
    expected = stats.chi2.sf(statistic, dof)
    assert chi_square_sf(statistic, dof) == pytest.approx(expected, rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("dof", [1, 2, 3, 7, 20, 100])
@pytest.mark.parametrize("statistic", [1e-9, 0.5, 1.0, 3.84, 10.0, 50.0, 150.0, 1000.0])
def test_chi_square_sf__grid__matches_scipy_chi2_sf(statistic: float, dof: int) -> None:
    expected = stats.chi2.sf(statistic, dof)
    assert chi_square_sf(statistic, dof) == pytest.approx(expected, rel=1e-10, abs=1e-300)


def test_chi_square_sf__non_positive_or_infinite_statistic__one_or_zero() -> None:
    assert chi_square_sf(0.0, 3) == 1.0
    assert chi_square_sf(-1.0, 3) == 1.0
    assert chi_square_sf(math.inf, 3) == 0.0


def test_chi_square_sf__zero_degrees_of_freedom__value_error() -> None:
    with pytest.raises(ValueError):
        chi_square_sf(1.0, 0)


# --- sample ratio mismatch -------------------------------------------------------------------------


@st.composite
def split(draw: st.DrawFn) -> tuple[list[int], list[float]]:
    """Observed counts (at least one unit) and positive intended weights for 2 to 6 groups."""
    groups = draw(st.integers(2, 6))
    observed = draw(st.lists(st.integers(0, 100_000), min_size=groups, max_size=groups))
    if sum(observed) == 0:
        observed[0] = 1
    weights = draw(st.lists(st.floats(0.01, 100.0), min_size=groups, max_size=groups))
    return observed, weights


@PROPERTY
@given(split())
def test_srm_p_value__any_split__matches_scipy_chisquare(case: tuple[list[int], list[float]]) -> None:
    # Given observed counts and the intended split
    observed, weights = case
    # When testing for a sample ratio mismatch
    p = srm_p_value(observed, weights)
    # Then it is scipy's goodness-of-fit p-value against the expected counts
    total, weight_sum = sum(observed), sum(weights)
    expected = stats.chisquare(observed, [total * w / weight_sum for w in weights]).pvalue
    assert p == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_srm_p_value__known_mismatch__small_p_value() -> None:
    # 50/50 intended, 10,000 vs 10,400 observed: chi-square 7.84 on 1 dof
    p = srm_p_value([10_000, 10_400], [0.5, 0.5])
    assert p == pytest.approx(stats.chisquare([10_000, 10_400]).pvalue, rel=1e-12)
    assert p is not None and p < 0.01


def test_srm_p_value__exact_split__one() -> None:
    assert srm_p_value([300, 100], [3.0, 1.0]) == 1.0


@pytest.mark.parametrize(("observed", "weights"), [([0, 0], [1.0, 1.0]), ([100], [1.0]), ([], [])])
def test_srm_p_value__no_units_or_single_group__none(observed: list[int], weights: list[float]) -> None:
    assert srm_p_value(observed, weights) is None


@pytest.mark.parametrize(
    ("observed", "weights"), [([1, 2], [1.0]), ([1, 2], [1.0, 0.0]), ([-1, 2], [1.0, 1.0])]
)
def test_srm_p_value__mismatched_or_invalid_inputs__value_error(
    observed: list[int], weights: list[float]
) -> None:
    with pytest.raises(ValueError):
        srm_p_value(observed, weights)


# --- lift ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "control", "expected"),
    [(0.12, 0.10, 0.2), (0.08, 0.10, -0.2), (0.10, 0.10, 0.0), (0.0, 0.10, -1.0)],
)
def test_lift__known_rates__relative_difference(variant: float, control: float, expected: float) -> None:
    assert lift(variant, control) == pytest.approx(expected)


@pytest.mark.parametrize(("variant", "control"), [(None, 0.1), (0.1, None), (None, None), (0.1, 0.0)])
def test_lift__unknown_rate_or_zero_control__none(variant: float | None, control: float | None) -> None:
    assert lift(variant, control) is None
