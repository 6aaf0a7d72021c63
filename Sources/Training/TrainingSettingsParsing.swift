import Foundation

/// Optimizers and schedules as Keras serialises them, so a request can name one the way Keras
/// code does: "adam", {"class_name": "Adam", "config": {"learning_rate": 0.01}}, or the flat
/// dict `optimizer.get_config()` returns ({"name": "Adam", "learning_rate": ...}).
extension OptimizerSettings {
    public static func parse(_ value: Any?, key: String = "optimizer") throws -> OptimizerSettings {
        let name: String
        var config: [String: Any] = [:]
        switch value {
        case let text as String:
            name = text
        case let object as [String: Any]:
            if let className = object["class_name"] as? String {
                name = className
                config = object["config"] as? [String: Any] ?? [:]
            } else if let flat = object["name"] as? String {
                name = flat
                config = object
            } else {
                throw TrainingError.invalidSetting(key, "needs a 'class_name' (or 'name') naming the optimizer")
            }
        default:
            throw TrainingError.invalidSetting(key, "must be an optimizer name or object")
        }
        guard let kind = Kind(name: name) else {
            throw TrainingError.invalidSetting(key, "'\(name)' is not an optimizer the trainer has (SGD, Adam, RMSprop, Adadelta)")
        }
        var settings = OptimizerSettings(kind)
        if let rate = config["learning_rate"] ?? config["lr"] {
            settings.learningRate = try LearningRateSchedule.parse(rate, key: "\(key).learning_rate")
        }
        func number(_ field: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let raw = config[field], !(raw is NSNull) else { return nil }
            guard let value = jsonNumber(raw), value.isFinite, range.contains(value) else {
                throw TrainingError.invalidSetting("\(key).\(field)", "must be a number in \(range.lowerBound)-\(range.upperBound)")
            }
            return value
        }
        func flag(_ field: String) throws -> Bool? {
            guard let raw = config[field], !(raw is NSNull) else { return nil }
            guard isJSONBoolean(raw), let value = raw as? Bool else {
                throw TrainingError.invalidSetting("\(key).\(field)", "must be true or false")
            }
            return value
        }
        settings.momentum = try number("momentum", 0...1) ?? settings.momentum
        settings.nesterov = try flag("nesterov") ?? settings.nesterov
        settings.beta1 = try number("beta_1", 0...1) ?? settings.beta1
        settings.beta2 = try number("beta_2", 0...1) ?? settings.beta2
        settings.epsilon = try number("epsilon", 0...1) ?? settings.epsilon
        settings.rho = try number("rho", 0...1) ?? settings.rho
        settings.amsgrad = try flag("amsgrad") ?? settings.amsgrad
        settings.centered = try flag("centered") ?? settings.centered
        for unsupported in ["weight_decay", "clipnorm", "clipvalue", "global_clipnorm"] {
            if let raw = config[unsupported], !(raw is NSNull), (raw as? NSNumber)?.doubleValue != 0 {
                throw TrainingError.unsupported("\(key).\(unsupported)")
            }
        }
        if let ema = config["use_ema"] as? Bool, ema { throw TrainingError.unsupported("\(key).use_ema") }
        return settings
    }
}

extension LearningRateSchedule {
    /// A number, or a Keras schedule object {"class_name": "CosineDecay", "config": {...}}.
    public static func parse(_ value: Any, key: String = "learning_rate") throws -> LearningRateSchedule {
        if let number = jsonNumber(value) {
            let schedule = LearningRateSchedule.constant(number)
            try schedule.validate(key: key)
            return schedule
        }
        guard let object = value as? [String: Any], let className = object["class_name"] as? String else {
            throw TrainingError.invalidSetting(key, "must be a number or a schedule object with a class_name")
        }
        let config = object["config"] as? [String: Any] ?? [:]
        func number(_ field: String, _ fallback: Double? = nil) throws -> Double {
            if let value = (config[field] as? NSNumber)?.doubleValue { return value }
            if let fallback { return fallback }
            throw TrainingError.invalidSetting("\(key).\(field)", "is missing")
        }
        func steps(_ field: String) throws -> Int {
            guard let value = config[field] as? NSNumber, value.doubleValue == value.doubleValue.rounded(), value.intValue > 0 else {
                throw TrainingError.invalidSetting("\(key).\(field)", "must be a positive whole number")
            }
            return value.intValue
        }
        let schedule: LearningRateSchedule
        switch className {
        case "ExponentialDecay":
            schedule = .exponentialDecay(initial: try number("initial_learning_rate"), decaySteps: try steps("decay_steps"),
                                         decayRate: try number("decay_rate"), staircase: config["staircase"] as? Bool ?? false)
        case "InverseTimeDecay":
            schedule = .inverseTimeDecay(initial: try number("initial_learning_rate"), decaySteps: try steps("decay_steps"),
                                         decayRate: try number("decay_rate"), staircase: config["staircase"] as? Bool ?? false)
        case "CosineDecay":
            let target = (config["warmup_target"] as? NSNumber)?.doubleValue
            schedule = .cosineDecay(initial: try number("initial_learning_rate"), decaySteps: try steps("decay_steps"),
                                    alpha: try number("alpha", 0), warmupTarget: target,
                                    warmupSteps: target == nil ? 0 : try steps("warmup_steps"))
        case "PiecewiseConstantDecay":
            guard let boundaries = config["boundaries"] as? [NSNumber], let values = config["values"] as? [NSNumber] else {
                throw TrainingError.invalidSetting(key, "PiecewiseConstantDecay needs lists 'boundaries' and 'values'")
            }
            schedule = .piecewiseConstant(boundaries: boundaries.map(\.intValue), values: values.map(\.doubleValue))
        default:
            throw TrainingError.invalidSetting(key, "schedule '\(className)' is not one the trainer has (ExponentialDecay, InverseTimeDecay, CosineDecay, PiecewiseConstantDecay)")
        }
        try schedule.validate(key: key)
        return schedule
    }
}
