import DigitServices
import ImageStats
import KServe
import KerasClassifier
import LogisticRegression
import MAXFramework
import MNIST
import TrainingService

/// Every model plugin built into the executable; config.json `model.plugin` picks one by name.
/// Add a plugin: write its `ModelWrapper` with a `static let plugin`, list it here.
let registeredPlugins: [ModelPlugin] = [
    MNISTModel.plugin,
    KerasClassifierModel.plugin,
    ImageStatsModel.plugin,
    LogisticRegressionModel.plugin,
]

/// Every protocol adapter built into the executable: each adds its routes beside MAX's (or none,
/// when its configuration leaves it off). Add one: a `RouteProvider` in its module, listed here.
let registeredRouteProviders: [RouteProvider] = [
    KServe.provider,
    DigitServices.kaggle,
    DigitServices.engine,
    TrainingRoutes.provider(plugins: registeredPlugins),
]
