//! What a scenario needs of the roles beyond what every target gives (a merchant and Amazon
//! Pay's API), derived from the step definitions its steps match — never from their wording or
//! from tags. Each vocabulary module declares its needs once ([`Vocabulary`]); a step's need is
//! that of the module its definition lives in, found through cucumber's own matching.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::LazyLock;

use cucumber::gherkin;
use cucumber::step::{Collection, Context};
use cucumber::World as _;

use super::ConformanceWorld;

/// A power some targets, merchants or buyers lack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Need {
    /// A buyer on hosted pages the harness can drive.
    Buyer,
    /// The emulator's clock, to let more time pass than a real-time run can wait.
    Clock,
    /// Our own signed client as the merchant (a corrupted signature, a pinned idempotency key,
    /// a malformed body, a chosen signing algorithm).
    OwnClient,
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Need::Buyer => "a buyer on hosted pages the harness can drive",
            Need::Clock => "the emulator's clock",
            Need::OwnClient => "our own client as the merchant",
        })
    }
}

/// The needs of one scenario.
pub type Needs = BTreeSet<Need>;

/// What the steps of one vocabulary module need.
#[derive(Clone, Copy, Debug)]
pub(super) enum Declared {
    /// Nothing beyond a merchant and the API.
    Nothing,
    /// Every step of the module needs this.
    Always(Need),
    /// Depends on what the step says (e.g. how much time passes), from its captures.
    PerStep(fn(&Context) -> Option<Need>),
}

/// A vocabulary module: its file (`file!()`, as cucumber records a step definition's location)
/// and its needs.
#[derive(Clone, Copy, Debug)]
pub(super) struct Vocabulary {
    pub file: &'static str,
    pub needs: Declared,
}

/// Every vocabulary module. A step definition outside these is a programming error.
const VOCABULARIES: &[Vocabulary] = &[
    super::checkout::VOCABULARY,
    super::buyer::VOCABULARY,
    super::charges::VOCABULARY,
    super::refunds::VOCABULARY,
    super::own_client::VOCABULARY,
    super::time::VOCABULARY,
];

/// Derives scenarios' needs from the step definitions they use.
pub struct StepNeeds {
    collection: Collection<ConformanceWorld>,
}

impl fmt::Debug for StepNeeds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepNeeds").finish_non_exhaustive()
    }
}

impl Default for StepNeeds {
    fn default() -> Self {
        StepNeeds { collection: ConformanceWorld::collection() }
    }
}

impl StepNeeds {
    /// One for the process: the step definitions are fixed at compile time.
    pub fn shared() -> &'static StepNeeds {
        static SHARED: LazyLock<StepNeeds> = LazyLock::new(StepNeeds::default);
        &SHARED
    }

    /// The needs of these steps. A step no definition matches (or more than one does) needs
    /// nothing here: the run reports it as broken.
    pub fn of<'s>(&self, steps: impl IntoIterator<Item = &'s gherkin::Step>) -> Needs {
        let mut needs = Needs::new();
        for step in steps {
            let Ok(Some((_, _, location, context))) = self.collection.find(step) else { continue };
            let path = location.map(|l| l.path).unwrap_or_default();
            let vocabulary = VOCABULARIES.iter().find(|v| v.file == path).unwrap_or_else(|| {
                panic!("the step definition in {path} belongs to no vocabulary: add its module to steps::needs::VOCABULARIES")
            });
            let need = match vocabulary.needs {
                Declared::Nothing => None,
                Declared::Always(need) => Some(need),
                Declared::PerStep(of) => of(&context),
            };
            needs.extend(need);
        }
        needs
    }

    /// The needs of a scenario, with its feature's and rule's backgrounds.
    pub fn of_scenario(
        &self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
    ) -> Needs {
        let background = feature.background.iter().chain(rule.and_then(|r| r.background.as_ref()));
        self.of(background.flat_map(|b| &b.steps).chain(&scenario.steps))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use cucumber::feature::Ext as _;

    use super::*;

    fn features() -> Vec<gherkin::Feature> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
        let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        paths.sort();
        paths
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "feature"))
            .map(|p| gherkin::Feature::parse_path(&p, gherkin::GherkinEnv::default()).unwrap())
            .map(|f| f.expand_examples().unwrap())
            .collect()
    }

    /// The `@clock` tags are documentation for people; the need comes from the steps. The two
    /// must agree on every shipped scenario, and every step of them must match a definition.
    #[test]
    fn the_clock_is_needed_exactly_where_the_features_are_tagged_clock() {
        let needs = StepNeeds::default();
        let mut checked = 0;
        for feature in features() {
            let scenarios = feature.scenarios.iter().map(|s| (None, s));
            let in_rules = feature.rules.iter().flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s)));
            for (rule, scenario) in scenarios.chain(in_rules) {
                let tags: Vec<&String> =
                    feature.tags.iter().chain(rule.iter().flat_map(|r| &r.tags)).chain(&scenario.tags).collect();
                let tagged = tags.iter().any(|t| t.trim_start_matches('@') == "clock");
                let derived = needs.of_scenario(&feature, rule, scenario);
                let name = format!("{}: {}", feature.name, scenario.name);
                assert_eq!(derived.contains(&Need::Clock), tagged, "{name}: needs {derived:?}, tags {tags:?}");
                for step in feature.background.iter().flat_map(|b| &b.steps).chain(&scenario.steps) {
                    assert!(
                        matches!(needs.collection.find(step), Ok(Some(_))),
                        "{name}: 「{}」 matches no single definition",
                        step.value
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 50, "only {checked} scenarios found");
    }

    fn scenario(steps: &str) -> gherkin::Feature {
        let text = format!("# language: ja\n機能: f\n  シナリオ: s\n{steps}");
        gherkin::Feature::parse(text, gherkin::GherkinEnv::default()).unwrap()
    }

    #[test]
    fn a_buyer_step_makes_a_scenario_need_a_buyer() {
        let needs = StepNeeds::default();
        let merchant_only = scenario(
            "    前提 出品者は Amazon Pay に登録済みである\n    もし 出品者が存在しないチャージを取得しようとする\n",
        );
        assert_eq!(needs.of_scenario(&merchant_only, None, &merchant_only.scenarios[0]), Needs::new());
        let with_buyer =
            scenario("    前提 出品者は Amazon Pay に登録済みである\n    もし 購入者が Amazon Pay ボタンを押す\n");
        assert_eq!(needs.of_scenario(&with_buyer, None, &with_buyer.scenarios[0]), Needs::from([Need::Buyer]));
    }

    #[test]
    fn only_waits_longer_than_a_real_time_run_can_afford_need_the_clock() {
        let needs = StepNeeds::default();
        let of = |step: &str| {
            let feature = scenario(&format!("    もし {step}\n"));
            needs.of_scenario(&feature, None, &feature.scenarios[0])
        };
        assert_eq!(of("30 秒が経過する"), Needs::new());
        assert_eq!(of("8 日が経過する"), Needs::from([Need::Clock]));
        assert_eq!(of("翌月になる"), Needs::from([Need::Clock]));
        assert_eq!(
            of("出品者が改ざんした署名でチェックアウトセッションを作成しようとする"),
            Needs::from([Need::OwnClient])
        );
    }
}
